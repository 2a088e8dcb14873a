-- index/reindex.sql: full and chunked reindex, words refresh, reindex on tenant config change.

-- ---------------------------------------------------------------- whole-tenant reindex
create or replace function index.reindex_ids(p_tenant_id uuid, p_aggregate_type text) returns uuid[]
    language plpgsql stable
as $$
begin
    perform index._check_type(p_aggregate_type);
    -- everything in the write table plus everything in the read table (rows to delete)
    return case p_aggregate_type
        when 'product' then array(
            select p.id from commerce.products p where p.tenant_id = p_tenant_id
            union select i.product_id from index.products i where i.tenant_id = p_tenant_id order by 1)
        when 'node' then array(
            select n.id from content.nodes n where n.tenant_id = p_tenant_id
            union select i.node_id from index.content i where i.tenant_id = p_tenant_id order by 1)
        else array(
            select o.id from commerce.orders o where o.tenant_id = p_tenant_id
            union select i.order_id from index.orders i where i.tenant_id = p_tenant_id order by 1)
    end;
end
$$;
comment on function index.reindex_ids(uuid, text) is
    'The ids a full reindex of one aggregate type of a tenant visits: all in the write table plus all in the read table '
    '(so stale rows are removed), sorted.';

create or replace function index.reindex_chunk(p_tenant_id uuid, p_aggregate_type text, p_ids uuid[])
    returns table (succeeded integer, failed integer, busy integer, failed_ids uuid[], errors text[])
    language plpgsql volatile
    -- custom plans for a chunk's statements: from the sixth chunk of a session on, the generic plan of the
    -- fingerprint check (index._products_to_rebuild, inlined here) was 6x slower (80 -> 500 ms per 2,000 products)
    -- once other tenants had products (bench/README.md, "Reindex"); planning is a millisecond per chunk
    set plan_cache_mode = force_custom_plan
as $$
declare
    v_ids   uuid[];
    v_mine  uuid[];
    v_todo  uuid[];
    v_marks text[];
    v_id    uuid;
    v_state text;
    v_msg   text;
begin
    perform index._check_type(p_aggregate_type);
    if p_tenant_id is null then
        raise exception 'p_tenant_id: a tenant is required' using errcode = 'invalid_parameter_value';
    end if;
    v_ids := array(select distinct i from unnest(p_ids) i where i is not null order by 1);
    succeeded := 0; failed := 0; failed_ids := '{}'; errors := '{}';
    -- Try the consumer's per-aggregate locks (session level, never waiting: a reindex in one long transaction
    -- holds row locks from earlier chunks, so waiting here could deadlock with the consumer). An id whose lock
    -- is taken is being rebuilt right now by its holder from a snapshot taken after it got the lock: skip it
    -- (busy). The locks are taken before the rebuild reads anything and released right after the chunk.
    v_mine := array(select x.i from (select i, index._lock_key(p_aggregate_type, i) as k from unnest(v_ids) i order by 2) x
                    where pg_try_advisory_lock(x.k));
    busy := cardinality(v_ids) - cardinality(v_mine);
    v_todo := v_mine;
    begin
        if p_aggregate_type = 'product' then
            -- products whose write rows and read rows are as the last reindex left them are skipped (their rows
            -- would come out the same): a reindex of an unchanged catalog costs the fingerprints, not the rows
            select coalesce(array_agg(t.product_id order by t.product_id), '{}'), coalesce(array_agg(t.inputs order by t.product_id), '{}')
              into v_todo, v_marks
            from index._products_to_rebuild(p_tenant_id, v_mine) t;
        end if;
        succeeded := cardinality(v_mine) - cardinality(v_todo);
        begin
            perform index._rebuild(p_aggregate_type, p_tenant_id, v_todo);
            succeeded := cardinality(v_mine);
        exception when others then
            -- the chunk failed: one row at a time, so only the bad rows fail
            foreach v_id in array v_todo loop
                begin
                    perform index._rebuild(p_aggregate_type, p_tenant_id, array[v_id]);
                    succeeded := succeeded + 1;
                exception when others then
                    get stacked diagnostics v_state = returned_sqlstate, v_msg = message_text;
                    failed := failed + 1;
                    failed_ids := failed_ids || v_id;
                    errors := errors || (v_state || ': ' || left(v_msg, 500));
                    raise warning 'index reindex: % % of tenant % failed: %: %', p_aggregate_type, v_id, p_tenant_id, v_state, v_msg;
                end;
            end loop;
        end;
        if p_aggregate_type = 'product' and cardinality(v_todo) > cardinality(failed_ids) then
            -- not for a failed id: its read row (if any) is an old one
            select array_agg(t.id order by t.id), array_agg(t.m order by t.id) into v_todo, v_marks
            from unnest(v_todo, v_marks) t (id, m) where not (t.id = any (failed_ids));
            perform index._save_product_fingerprints(p_tenant_id, v_todo, v_marks);
        end if;
    exception when others or query_canceled then  -- others does not include a cancel
        perform pg_advisory_unlock(index._lock_key(p_aggregate_type, i)) from unnest(v_mine) i;
        raise;
    end;
    perform pg_advisory_unlock(index._lock_key(p_aggregate_type, i)) from unnest(v_mine) i;
    return next;
end
$$;
comment on function index.reindex_chunk(uuid, text, uuid[]) is
    'Rebuild one chunk of ids of a tenant in a subtransaction; if it fails, retry one id at a time (each in its own '
    'subtransaction) so one bad row cannot stop the rest. Ids being rebuilt at this moment by the index consumer (its '
    'advisory lock is taken) are skipped and counted as busy: the consumer rebuilds them from a newer snapshot. '
    'Products whose write rows and read rows are unchanged since the last reindex (index.product_fingerprints) are '
    'not recomputed and count as succeeded. '
    'Returns (succeeded, failed, busy, failed_ids, errors). Used by index.reindex_tenant and by `rustok reindex`.';

create or replace function index.reindex_tenant(
    p_tenant_id       uuid,
    p_aggregate_types text[] default array['product', 'node', 'order'],
    p_chunk_size      integer default 500
) returns table (total integer, succeeded integer, failed integer, seconds numeric, failed_ids uuid[], errors text[])
    language plpgsql volatile
as $$
declare
    v_start timestamptz := clock_timestamp();
    v_type  text;
    v_ids   uuid[];
    v_from  integer;
    v_r     record;
begin
    if p_tenant_id is null or not exists (select 1 from core.tenants t where t.id = p_tenant_id) then
        raise exception 'p_tenant_id: no tenant %', coalesce(p_tenant_id::text, 'null') using errcode = 'no_data_found';
    end if;
    if p_chunk_size is null or p_chunk_size < 1 then
        raise exception 'p_chunk_size: must be at least 1 (got %)', p_chunk_size using errcode = 'invalid_parameter_value';
    end if;
    total := 0; succeeded := 0; failed := 0; failed_ids := '{}'; errors := '{}';
    foreach v_type in array coalesce(p_aggregate_types, '{}') loop
        v_ids := index.reindex_ids(p_tenant_id, v_type);
        total := total + cardinality(v_ids);
        v_from := 1;
        while v_from <= cardinality(v_ids) loop
            select * into v_r from index.reindex_chunk(p_tenant_id, v_type, v_ids[v_from : v_from + p_chunk_size - 1]);
            succeeded := succeeded + v_r.succeeded + v_r.busy;
            failed := failed + v_r.failed;
            failed_ids := failed_ids || v_r.failed_ids;
            errors := errors || v_r.errors;
            v_from := v_from + p_chunk_size;
        end loop;
    end loop;
    perform index.refresh_words_if_stale(p_tenant_id);
    seconds := round(extract(epoch from clock_timestamp() - v_start)::numeric, 3);
    return next;
end
$$;
comment on function index.reindex_tenant(uuid, text[], integer) is
    'Full reindex of a tenant (products, nodes and orders by default), chunk by chunk in one transaction: a failing '
    'chunk is retried row by row, so failures are counted, not fatal; ids the consumer is rebuilding at that moment count as succeeded. Returns total, succeeded, failed, seconds, the '
    'failed ids and their errors; then refreshes index.words if stale (index.refresh_words_if_stale). psql: select * from index.reindex_tenant(''<tenant id>'');';

-- ---------------------------------------------------------------- words
create or replace function index.refresh_words(p_tenant_id uuid) returns table (added integer, removed integer)
    language plpgsql volatile
as $$
declare
    v_words text[];
begin
    -- the marks first (index._mark_words_stale): the words below are computed from a later snapshot, which sees the
    -- text of every rebuild whose mark this deleted (a mark being rewritten is waited for)
    delete from index.words_stale s where s.tenant_id = p_tenant_id;
    v_words := array(
        select distinct w.w
        from (
            select concat_ws(' ', i.title, i.subtitle, array_to_string(i.tags, ' '),
                       (select string_agg(c ->> 'name', ' ') from jsonb_array_elements(i.categories) c),
                       left(i.description, 20000)) as txt
            from index.products i where i.tenant_id = p_tenant_id
            union all
            select concat_ws(' ', i.title, i.excerpt, array_to_string(i.tags, ' '), i.category_name, i.body_preview)
            from index.content i where i.tenant_id = p_tenant_id
        ) t
        cross join lateral index._words(t.txt) as w(w));
    delete from index.words w where w.tenant_id = p_tenant_id and not (w.word = any (v_words));
    get diagnostics removed = row_count;
    insert into index.words (tenant_id, word)
    select p_tenant_id, x from unnest(v_words) x
    on conflict do nothing;
    get diagnostics added = row_count;
    return next;
end
$$;
comment on function index.refresh_words(uuid) is
    'Recompute a tenant''s index.words from its read rows: add missing words, remove words no row contains any more '
    '(rebuilds only add), and clear its index.words_stale marks. Returns (added, removed). The full reindex calls '
    'index.refresh_words_if_stale instead.';

create or replace function index.refresh_words_if_stale(p_tenant_id uuid)
    returns table (added integer, removed integer, refreshed boolean)
    language plpgsql volatile
as $$
begin
    -- Words go stale only when a read row's text changes or a row is deleted (both mark the tenant); rebuilds of
    -- new rows add their words themselves. Recomputing every product's and node's words costs seconds per 100,000.
    if exists (select 1 from index.words_stale s where s.tenant_id = p_tenant_id) then
        return query select r.added, r.removed, true from index.refresh_words(p_tenant_id) r;
    else
        return query select 0, 0, false;
    end if;
end
$$;
comment on function index.refresh_words_if_stale(uuid) is
    'index.refresh_words for a tenant whose word list may be stale (marked in index.words_stale by a rebuild that '
    'changed an existing read row''s text or deleted a row); otherwise nothing. Returns (added, removed, refreshed). '
    'Run by index.reindex_tenant and `rustok reindex`.';

-- ---------------------------------------------------------------- a tenant's language changes every vector
create or replace function index.tg_tenants__reindex_on_config() returns trigger
    language plpgsql volatile
as $$
begin
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select n.id, 'ReindexRequested', a.t, n.id,
           jsonb_build_object('target_type', a.t, 'target_id', null, 'scope', 'tenant', 'reason', 'text_search_config')
    from new_rows n
    join old_rows o on o.id = n.id
    cross join (values ('product'), ('node')) as a (t)
    where n.text_search_config is distinct from o.text_search_config;
    return null;
end
$$;
comment on function index.tg_tenants__reindex_on_config() is
    'AFTER UPDATE statement trigger on core.tenants (owned by the index module): a changed text_search_config emits '
    'ReindexRequested (scope tenant) for products and nodes, since every search vector of the tenant must be rebuilt.';

-- ---------------------------------------------------------------- triggers

create or replace trigger _900_index_reindex_on_config after update on core.tenants
    referencing old table as old_rows new table as new_rows for each statement
    execute function index.tg_tenants__reindex_on_config();
