-- outbox/periodic_jobs.sql: bookkeeping of the worker's periodic jobs.

create or replace function outbox.claim_periodic_job(p_name text, p_due_after timestamptz, p_worker text) returns boolean
    language plpgsql volatile
as $$
begin
    insert into outbox.periodic_jobs as j (name, last_started_at, last_started_by)
    values (p_name, now(), p_worker)
    on conflict (name) do update
       set last_started_at = now(), last_started_by = p_worker
     where j.last_started_at is null or j.last_started_at < p_due_after;
    return found;
end
$$;
comment on function outbox.claim_periodic_job(text, timestamptz, text) is
    'True when this worker should run job p_name now: no run of it started after p_due_after (the start of the '
    'current period). Marks the run as started.';

create or replace function outbox.finish_periodic_job(p_name text, p_error text default null) returns void
    language sql volatile
as $$
    update outbox.periodic_jobs set last_finished_at = now(), last_error = p_error where name = p_name
$$;
comment on function outbox.finish_periodic_job(text, text) is 'Record the end of a periodic job run (and its error, if any).';

-- ---------------------------------------------------------------- outbox.periodic_jobs

comment on table outbox.periodic_jobs is
    'Bookkeeping of the worker''s periodic jobs (partition upkeep, the scheduled full reindex, ...): a worker claims a due '
    'run with an update on this row, so with several worker processes each run happens once.';
comment on column outbox.periodic_jobs.name is 'Name of the periodic job, e.g. outbox.maintain.';
comment on column outbox.periodic_jobs.last_started_at is 'When a worker last claimed a run.';
comment on column outbox.periodic_jobs.last_finished_at is 'When the last run ended (successfully or not).';
comment on column outbox.periodic_jobs.last_started_by is 'The worker that claimed the last run.';
comment on column outbox.periodic_jobs.last_error is 'Error of the last run, null when it succeeded.';
