-- depends: 0064_outbox_lease_index
-- core: login throttling (issue 10 item 5). Failed logins counted per account (tenant + lowercased email)
-- and per client address (over all tenants), in the database so every API process sees the same counts.
-- The functions that read and write it are in sql/code/core/login.sql.

create table core.login_attempts (
    tenant_id       uuid references core.tenants (id) on delete cascade,
    scope           text not null constraint login_attempts_scope_check check (scope in ('account', 'address')),
    subject         text not null constraint login_attempts_subject_check check (length(subject) <= 255),
    failures        integer not null constraint login_attempts_failures_check check (failures >= 1),
    first_failed_at timestamptz not null,
    last_failed_at  timestamptz not null,
    blocked_until   timestamptz,
    expires_at      timestamptz not null,
    -- an account belongs to a tenant; an address is counted over all tenants
    constraint login_attempts_tenant_check check ((scope = 'account') = (tenant_id is not null)),
    constraint login_attempts_key unique nulls not distinct (tenant_id, scope, subject)
);
create index login_attempts_expires_idx on core.login_attempts (expires_at);
