-- depends: 0170_index_product_search
-- core: login throttling per client address (counted over all tenants) gets a table of its own, so that
-- core.login_attempts holds accounts only, keyed by (tenant_id, ...) with a tenant that is never null: every tenant
-- table can then be distributed by tenant (Citus cannot distribute on a column that may be null); the address
-- counts stay on the coordinator (src/rustok/distribution.py LOCAL).

create table core.login_address_attempts (
    address         text primary key constraint login_address_attempts_address_check check (length(address) <= 255),
    failures        integer not null constraint login_address_attempts_failures_check check (failures >= 1),
    first_failed_at timestamptz not null,
    last_failed_at  timestamptz not null,
    blocked_until   timestamptz,
    expires_at      timestamptz not null
);
create index login_address_attempts_expires_idx on core.login_address_attempts (expires_at);

insert into core.login_address_attempts (address, failures, first_failed_at, last_failed_at, blocked_until, expires_at)
select a.subject, a.failures, a.first_failed_at, a.last_failed_at, a.blocked_until, a.expires_at
from core.login_attempts a
where a.scope = 'address';
delete from core.login_attempts where scope = 'address';

alter table core.login_attempts drop constraint login_attempts_tenant_check;
alter table core.login_attempts drop constraint login_attempts_key;
alter table core.login_attempts drop constraint login_attempts_scope_check;
alter table core.login_attempts alter column tenant_id set not null;
alter table core.login_attempts add constraint login_attempts_scope_check check (scope = 'account');
alter table core.login_attempts add constraint login_attempts_pkey primary key (tenant_id, scope, subject);
