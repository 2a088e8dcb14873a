-- depends: 0171_core_login_address_attempts
-- core: a log of bulk imports (commerce.import_products), which is also the flag that tells the statement-level
-- event triggers to leave the imported rows to the import (it emits one event per product itself).

create table core.import_runs (
    tenant_id   uuid not null references core.tenants (id) on delete cascade,
    id          uuid not null default core.new_id(),
    kind        text not null,
    user_id     uuid,
    source      text,
    first_line  integer,
    last_line   integer,
    products    integer not null default 0,
    backend_pid integer not null default pg_backend_pid(),
    xact        xid8 not null default pg_current_xact_id(),
    started_at  timestamptz not null default clock_timestamp(),
    finished_at timestamptz,
    primary key (tenant_id, id),
    constraint import_runs_kind_check check (kind in ('products')),
    constraint import_runs_source_check check (length(source) <= 1000)
);

-- the triggers' question: is an import running in this backend's transaction right now?
create index import_runs_active_idx on core.import_runs (backend_pid, xact) where finished_at is null;
