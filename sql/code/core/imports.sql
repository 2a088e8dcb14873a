-- core/imports.sql: the log of bulk imports (core.import_runs) and the flag the event triggers honour during one.

-- ---------------------------------------------------------------- the flag
create or replace function core._import_active() returns boolean
    language sql stable
as $$
    -- An open run of this backend's current transaction. Only commerce.import_products (security definer, owned by
    -- the migration owner) inserts runs, and it closes its run before it returns, so no application session can
    -- raise the flag for statements of its own. Security invoker and inlinable: the import's statements run as the
    -- owner (who sees every run); an application session sees its tenant's runs, never an open one of its own.
    select exists (select 1 from core.import_runs r
                   where r.backend_pid = pg_backend_pid()
                     and r.xact = pg_current_xact_id_if_assigned()
                     and r.finished_at is null)
$$;
comment on function core._import_active() is
    'Internal: whether a bulk import (commerce.import_products) is running in this transaction right now. The '
    'statement-level event triggers of the imported tables return early when it is: the import emits one event per '
    'product itself. Cannot be raised by application code (core.import_runs is written only by the import functions).';
grant execute on function core._import_active() to rustok_app;

-- ---------------------------------------------------------------- core.import_runs

comment on table core.import_runs is
    'One row per bulk import call (commerce.import_products: one chunk of a file), written only by the import '
    'functions. While finished_at is null the run is the flag core._import_active() reads. Staff can read their '
    'tenant''s history.';
comment on column core.import_runs.tenant_id is
    'The tenant imported into (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column core.import_runs.id is 'Run id (core.new_id()).';
comment on column core.import_runs.kind is 'What was imported: products.';
comment on column core.import_runs.user_id is 'The acting user (setting rustok.user_id) or null for the system (psql, CLI).';
comment on column core.import_runs.source is 'Where the data came from (the file name the CLI passes), free text.';
comment on column core.import_runs.first_line is 'The first input line of this call.';
comment on column core.import_runs.last_line is 'The last input line of this call.';
comment on column core.import_runs.products is 'Products written by this call.';
comment on column core.import_runs.backend_pid is 'The backend that ran the import (with xact: the flag''s key).';
comment on column core.import_runs.xact is 'The transaction that ran the import.';
comment on column core.import_runs.started_at is 'When the call started (clock time).';
comment on column core.import_runs.finished_at is 'When the call finished; null while it runs (the flag is up).';

select core.enable_tenant_rls('core.import_runs');
select core.allow_analyst_read('core.import_runs');
grant select on core.import_runs to rustok_app, rustok_analyst;
