-- depends: 0057_outbox_own_leases_first
-- ops: remember which code tree (sql/code/) the database runs, so readiness checks and operators can tell
-- whether the functions, triggers, views, policies and grants are current. `rustok migrate` writes the row
-- in the same transaction that applies the code tree.

create table ops.code_tree_state (
    singleton  boolean primary key default true check (singleton),
    digest     text not null check (digest ~ '^[0-9a-f]{64}$'),
    files      integer not null check (files > 0),
    applied_at timestamptz not null default now()
);
