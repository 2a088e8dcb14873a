-- commerce/order_partitions.sql: quarterly partitions of commerce.orders and their upkeep.

-- ---------------------------------------------------------------- partition upkeep
create or replace function commerce._quarter_start(p_at timestamptz) returns timestamptz
    language sql immutable strict parallel safe
as $$ select date_trunc('quarter', p_at at time zone 'UTC') at time zone 'UTC' $$;
comment on function commerce._quarter_start(timestamptz) is 'Internal: start of the UTC calendar quarter containing p_at.';
grant execute on function commerce._quarter_start(timestamp with time zone) to rustok_app;

create or replace function commerce.order_partition_name(p_at timestamptz) returns text
    language sql immutable strict parallel safe
as $$
    select format('orders_p%sq%s',
                  to_char(p_at at time zone 'UTC', 'YYYY'),
                  extract(quarter from p_at at time zone 'UTC'))
$$;
comment on function commerce.order_partition_name(timestamptz) is
    'Name of the quarterly commerce.orders partition holding moment p_at, e.g. orders_p2026q4 (UTC quarters).';
grant execute on function commerce.order_partition_name(timestamp with time zone) to rustok_app;

create or replace function commerce.create_order_partition(p_at timestamptz)
    returns table (partition_name text, range_from timestamptz, range_to timestamptz, created boolean, moved_rows bigint)
    language plpgsql volatile
as $$
declare
    v_from  timestamptz := commerce._quarter_start(p_at);
    v_to    timestamptz := (((commerce._quarter_start(p_at)) at time zone 'UTC') + interval '3 months') at time zone 'UTC';
    v_name  text := commerce.order_partition_name(p_at);
    v_moved bigint;
begin
    if p_at is null then
        raise exception 'p_at: is required' using errcode = 'invalid_parameter_value';
    end if;
    if to_regclass(format('commerce.%I', v_name)) is not null then
        return query select v_name, v_from, v_to, false, 0::bigint;
        return;
    end if;
    -- Like pg_partman: build the partition as a plain table, move the matching rows out of the
    -- default partition into it, then attach it. Inserts that would land in the default partition
    -- wait meanwhile. The moved orders' items (and their stock reservations) reference the default
    -- partition, so they are set aside and put back unchanged around the move.
    lock table commerce.orders_default in access exclusive mode;
    execute format('create table commerce.%I (like commerce.orders including defaults including constraints)', v_name);
    execute format('alter table commerce.%I add constraint %I check (created_at >= %L and created_at < %L)',
                   v_name, v_name || '_bounds', v_from, v_to);
    if exists (select 1 from commerce.orders_default d where d.created_at >= v_from and d.created_at < v_to) then
        create temporary table _commerce_moved_items on commit drop as
            select i.* from commerce.order_items i
            where (i.tenant_id, i.order_id, i.order_created_at) in (
                select d.tenant_id, d.id, d.created_at from commerce.orders_default d
                where d.created_at >= v_from and d.created_at < v_to);
        create temporary table _commerce_moved_reservations on commit drop as
            select r.* from commerce.order_reservations r
            where (r.tenant_id, r.order_item_id) in (select m.tenant_id, m.id from _commerce_moved_items m);
        delete from commerce.order_items i using _commerce_moved_items m where i.tenant_id = m.tenant_id and i.id = m.id;
        execute format($q$
            with moved as (
                delete from commerce.orders_default where created_at >= %L and created_at < %L returning *
            )
            insert into commerce.%I select * from moved$q$, v_from, v_to, v_name);
        get diagnostics v_moved = row_count;
    else
        v_moved := 0;
    end if;
    execute format('alter table commerce.orders attach partition commerce.%I for values from (%L) to (%L)', v_name, v_from, v_to);
    execute format('alter table commerce.%I drop constraint %I', v_name, v_name || '_bounds');
    execute format('comment on table commerce.%I is %L', v_name,
                   format('Partition of commerce.orders: orders created in %s Q%s (UTC) [%s, %s).',
                          to_char(v_from at time zone 'UTC', 'YYYY'), extract(quarter from v_from at time zone 'UTC'), v_from, v_to));
    if to_regclass('pg_temp._commerce_moved_items') is not null then
        insert into commerce.order_items select * from _commerce_moved_items;
        insert into commerce.order_reservations select * from _commerce_moved_reservations;
        drop table _commerce_moved_reservations;
        drop table _commerce_moved_items;
    end if;
    return query select v_name, v_from, v_to, true, v_moved;
end
$$;
comment on function commerce.create_order_partition(timestamptz) is
    'Create the quarterly commerce.orders partition holding moment p_at (no-op when it exists). Rows of that quarter '
    'sitting in orders_default are moved into it first (pg_partman style), so it works with a populated default. '
    'Operator function (DDL): run as the migration owner.';
revoke all on function commerce.create_order_partition(timestamp with time zone) from public;

create or replace function commerce.create_order_partitions(p_quarters_ahead integer default 4, p_from timestamptz default now())
    returns table (partition_name text, range_from timestamptz, range_to timestamptz, created boolean, moved_rows bigint)
    language plpgsql volatile
as $$
declare
    v_i integer;
begin
    if p_quarters_ahead is null or p_quarters_ahead < 0 or p_quarters_ahead > 200 then
        raise exception 'p_quarters_ahead: must be between 0 and 200, got %', p_quarters_ahead
            using errcode = 'invalid_parameter_value';
    end if;
    for v_i in 0 .. p_quarters_ahead loop
        return query
        select * from commerce.create_order_partition(
            ((commerce._quarter_start(coalesce(p_from, now())) at time zone 'UTC') + make_interval(months => 3 * v_i)) at time zone 'UTC');
    end loop;
end
$$;
comment on function commerce.create_order_partitions(integer, timestamptz) is
    'Create the quarterly commerce.orders partitions for the quarter of p_from (default now) and p_quarters_ahead '
    'quarters after it, moving matching rows out of the default partition. Returns one row per quarter. Run it '
    'from a scheduler or psql, e.g. monthly: select * from commerce.create_order_partitions(4);';
revoke all on function commerce.create_order_partitions(integer,timestamp with time zone) from public;

create or replace function commerce.order_partitions()
    returns table (partition_name text, is_default boolean, range_from timestamptz, range_to timestamptz, row_count bigint)
    language plpgsql volatile
as $$
declare
    v_part record;
begin
    for v_part in
        select c.relname::text as relname, pg_get_expr(c.relpartbound, c.oid) as bound
        from pg_catalog.pg_inherits i
        join pg_catalog.pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'commerce.orders'::regclass
        order by pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', c.relname
    loop
        partition_name := v_part.relname;
        is_default := v_part.bound = 'DEFAULT';
        range_from := (regexp_match(v_part.bound, 'FROM \(''([^'']+)''\)'))[1]::timestamptz;
        range_to := (regexp_match(v_part.bound, 'TO \(''([^'']+)''\)'))[1]::timestamptz;
        execute format('select count(*) from commerce.%I', v_part.relname) into row_count;
        return next;
    end loop;
end
$$;
comment on function commerce.order_partitions() is
    'The partitions of commerce.orders with their bounds and exact row counts (count(*) per partition).';
revoke all on function commerce.order_partitions() from public;

create or replace function commerce.order_default_rows()
    returns table (quarter_from timestamptz, quarter_to timestamptz, expected_partition text, row_count bigint)
    language sql stable
as $$
    select commerce._quarter_start(d.created_at),
           ((commerce._quarter_start(d.created_at) at time zone 'UTC') + interval '3 months') at time zone 'UTC',
           commerce.order_partition_name(d.created_at),
           count(*)
    from commerce.orders_default d
    group by 1, 2, 3
    order by 1
$$;
comment on function commerce.order_default_rows() is
    'Rows sitting in the default partition of commerce.orders, per quarter, with the partition that should hold them. '
    'Empty when partitions are created ahead; fix with select * from commerce.create_order_partition(quarter_from).';
revoke all on function commerce.order_default_rows() from public;

-- ---------------------------------------------------------------- commerce.orders_default

comment on table commerce.orders_default is
    'Default partition of commerce.orders: rows outside every quarterly partition. Should stay empty; '
    'commerce.order_default_rows() reports what is in it and commerce.create_order_partition moves it out.';
