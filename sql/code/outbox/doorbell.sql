-- outbox/doorbell.sql: the adaptive NOTIFY doorbell (ring only when a worker is idle).

create or replace function outbox._ring() returns void
    language plpgsql volatile
as $$
begin
    -- Cheap read first; lock only on the idle -> busy transition, and never wait for another ringer.
    if exists (select 1 from outbox.doorbell b where b.idle) then
        perform 1 from outbox.doorbell b where b.idle for update skip locked;
        if found then
            update outbox.doorbell set idle = false, changed_at = now() where id;
            perform pg_notify('rustok_outbox', '');
        end if;
    end if;
end
$$;
comment on function outbox._ring() is
    'Ring the doorbell when a worker is idle: clear the flag and NOTIFY rustok_outbox with an empty payload. '
    'If another transaction is ringing right now, do nothing (its notify, or the worker''s poll, covers us).';

create or replace function outbox.set_idle() returns boolean
    language plpgsql volatile
as $$
begin
    update outbox.doorbell b set idle = true, changed_at = now()
    where b.id and not b.idle
      and b.id in (select x.id from outbox.doorbell x for update skip locked);
    return true;
end
$$;
comment on function outbox.set_idle() is
    'Called by a worker before it sleeps: ask writers to ring the doorbell (NOTIFY) for the next queued work. '
    'Never waits for a ringing writer''s lock (that writer''s NOTIFY is on its way).';

-- ---------------------------------------------------------------- outbox.doorbell

comment on table outbox.doorbell is
    'One-row doorbell flag. A worker sets idle = true before it sleeps; the first transaction that queues work '
    'afterwards clears it and sends NOTIFY rustok_outbox (empty payload, at its commit). While workers are busy '
    'nothing is notified, keeping NOTIFY (a commit-serializing lock) off the hot write path.';
comment on column outbox.doorbell.id is 'Always true: the table holds one row.';
comment on column outbox.doorbell.idle is
    'true while a worker sleeps waiting for the bell; the next queued work clears it and sends NOTIFY rustok_outbox.';
comment on column outbox.doorbell.changed_at is 'When idle last changed.';

grant select on outbox.doorbell to rustok_app;
grant update (idle, changed_at) on outbox.doorbell to rustok_app;
