-- outbox/partitions.sql: daily partitions of outbox.events, their upkeep and outbox.maintain().

create or replace function outbox._partition_name(p_day date) returns text
    language sql immutable strict parallel safe
as $$ select 'events_p' || to_char(p_day, 'YYYYMMDD') $$;
comment on function outbox._partition_name(date) is 'Name of the daily partition of outbox.events holding p_day (UTC): events_pYYYYMMDD.';

create or replace function outbox._today() returns date
    language sql stable parallel safe
as $$ select (now() at time zone 'UTC')::date $$;
comment on function outbox._today() is 'The current day in UTC (partition days are UTC days).';

create or replace function outbox.create_partitions(p_days_ahead integer default null)
    returns setof text
    language plpgsql volatile
as $$
declare
    v_ahead integer := coalesce(p_days_ahead, (select s.premake_days from outbox.settings s));
    v_day   date;
    v_name  text;
    v_from  timestamptz;
    v_to    timestamptz;
begin
    if v_ahead is null or v_ahead < 0 or v_ahead > 366 then
        raise exception 'p_days_ahead: must be between 0 and 366 (got %)', v_ahead
            using errcode = 'invalid_parameter_value';
    end if;
    -- Days wanted: today .. today + ahead, plus every day that has strayed into the default partition.
    for v_day in
        select d::date from generate_series(outbox._today(), outbox._today() + v_ahead, interval '1 day') d
        union
        select distinct (e.occurred_at at time zone 'UTC')::date from outbox.events_default e
        order by 1
    loop
        v_name := outbox._partition_name(v_day);
        continue when to_regclass(format('outbox.%I', v_name)) is not null;
        v_from := v_day::timestamp at time zone 'UTC';
        v_to := (v_day + 1)::timestamp at time zone 'UTC';
        if exists (select 1 from outbox.events_default e where e.occurred_at >= v_from and e.occurred_at < v_to) then
            -- Move the strays out of the default partition, then attach (the scan of the default finds none).
            lock table outbox.events_default in exclusive mode;
            execute format('create table outbox.%I (like outbox.events including all)', v_name);
            execute format('with moved as (delete from outbox.events_default e where e.occurred_at >= $1 and e.occurred_at < $2 returning e.*)
                            insert into outbox.%I select * from moved', v_name) using v_from, v_to;
            execute format('alter table outbox.events attach partition outbox.%I for values from (%L) to (%L)',
                           v_name, v_from, v_to);
        else
            execute format('create table outbox.%I partition of outbox.events for values from (%L) to (%L)',
                           v_name, v_from, v_to);
        end if;
        execute format('comment on table outbox.%I is %L', v_name,
                       format('Outbox events of %s (UTC); dropped whole by outbox.purge_partitions() after the retention.', v_day));
        return next v_name;
    end loop;
end
$$;
comment on function outbox.create_partitions(integer) is
    'Create the daily partitions of outbox.events for today .. today + p_days_ahead (default outbox.settings.premake_days), '
    'and for any day with rows in the default partition (those rows are moved out, keeping the default empty). '
    'Idempotent; returns the names created. psql: select * from outbox.create_partitions();';

create or replace function outbox.purge_partitions(p_retention interval default null, p_detach_only boolean default false)
    returns table (partition text, action text, detail text)
    language plpgsql volatile
as $$
declare
    v_retention interval := coalesce(p_retention, (select s.retention from outbox.settings s));
    v_cutoff    timestamptz;
    v_part      record;
    v_pending   bigint;
begin
    if v_retention is null or v_retention < interval '0' then
        raise exception 'p_retention: must be a positive interval (got %)', v_retention
            using errcode = 'invalid_parameter_value';
    end if;
    v_cutoff := now() - v_retention;
    perform set_config('lock_timeout', '5s', true);
    for v_part in
        select p.partition, p.range_from, p.range_to from outbox.partitions p
        where p.range_to <= v_cutoff order by p.day
    loop
        partition := v_part.partition;
        -- Lock first so no replay can add deliveries between the check and the drop.
        execute format('lock table outbox.%I in access exclusive mode', v_part.partition);
        select count(*) into v_pending
        from outbox.deliveries d
        where d.occurred_at >= v_part.range_from and d.occurred_at < v_part.range_to;
        if v_pending > 0 then
            action := 'kept';
            detail := format('%s undelivered deliveries (pending or dead) still reference it', v_pending);
        elsif p_detach_only then
            execute format('alter table outbox.events detach partition outbox.%I', v_part.partition);
            action := 'detached';
            detail := format('outbox.%I is now a standalone table; drop it when archived', v_part.partition);
        else
            execute format('drop table outbox.%I', v_part.partition);
            action := 'dropped';
            detail := format('events before %s', v_part.range_to);
        end if;
        return next;
    end loop;
end
$$;
comment on function outbox.purge_partitions(interval, boolean) is
    'Drop (or with p_detach_only detach) the daily partitions of outbox.events entirely older than the retention '
    '(default outbox.settings.retention). A partition that still has undelivered deliveries (pending or dead) is kept '
    'and reported. psql: select * from outbox.purge_partitions();';

create or replace function outbox.maintain() returns table (partition text, action text, detail text)
    language sql volatile
as $$
    select c, 'created', 'daily partition' from outbox.create_partitions() c
    union all
    select * from outbox.purge_partitions()
$$;
comment on function outbox.maintain() is
    'Partition upkeep of the outbox in one call (ops.maintain runs it): create partitions ahead, drop expired ones. '
    'psql: select * from outbox.maintain();';

create or replace view outbox.partitions as
select c.relname::text                                          as partition,
       to_date(substr(c.relname, 9), 'YYYYMMDD')               as day,
       (to_date(substr(c.relname, 9), 'YYYYMMDD')::timestamp at time zone 'UTC')     as range_from,
       ((to_date(substr(c.relname, 9), 'YYYYMMDD') + 1)::timestamp at time zone 'UTC') as range_to,
       pg_total_relation_size(c.oid)                            as total_bytes
from pg_inherits i
join pg_class c on c.oid = i.inhrelid
join pg_namespace n on n.oid = c.relnamespace
where i.inhparent = 'outbox.events'::regclass
  and n.nspname = 'outbox'
  and c.relname ~ '^events_p[0-9]{8}$';
comment on view outbox.partitions is
    'The daily partitions of outbox.events (default partition excluded): name, UTC day, range and size.';
comment on column outbox.partitions.partition is 'Name of the partition table, events_pYYYYMMDD.';
comment on column outbox.partitions.day is 'The UTC day it holds.';
comment on column outbox.partitions.range_from is 'Inclusive lower bound of occurred_at.';
comment on column outbox.partitions.range_to is 'Exclusive upper bound of occurred_at.';
comment on column outbox.partitions.total_bytes is 'Size on disk, indexes and TOAST included.';

-- ---------------------------------------------------------------- outbox.settings

comment on table outbox.settings is
    'One-row outbox configuration: how long processed events are kept (retention) and how many daily '
    'partitions are created ahead (premake_days). Change with update outbox.settings set ...';
comment on column outbox.settings.retention is
    'Events older than this are dropped a partition at a time by outbox.purge_partitions() (default 7 days).';
comment on column outbox.settings.premake_days is 'Daily partitions created ahead of today by outbox.create_partitions().';
comment on column outbox.settings.id is 'Always true: the table holds one row.';
comment on column outbox.settings.updated_at is 'When the settings last changed.';

-- ---------------------------------------------------------------- outbox.events_default

comment on table outbox.events_default is 'Catch-all partition; should stay empty when partitions are created ahead.';
