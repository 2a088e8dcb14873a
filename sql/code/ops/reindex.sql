-- ops/reindex.sql: operator functions that request reindexing.

create or replace function ops.request_reindex(p_tenant_id uuid, p_aggregate_type text, p_aggregate_ids uuid[] default null)
    returns integer
    language plpgsql volatile
as $$
declare
    v_rows integer;
begin
    if p_tenant_id is null or not exists (select 1 from core.tenants t where t.id = p_tenant_id) then
        raise exception 'p_tenant_id: no tenant %', p_tenant_id using errcode = 'no_data_found';
    end if;
    if p_aggregate_type is null or p_aggregate_type !~ '^[a-z][a-z_]*$' then
        raise exception 'p_aggregate_type: must be an aggregate type like product or node (got %)', coalesce(p_aggregate_type, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    if p_aggregate_ids is not null and array_position(p_aggregate_ids, null) is not null then
        raise exception 'p_aggregate_ids: must not contain null' using errcode = 'invalid_parameter_value';
    end if;
    if p_aggregate_ids is null then
        -- Everything of that type in the tenant: the aggregate is the tenant itself.
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        values (p_tenant_id, 'ReindexRequested', p_aggregate_type, p_tenant_id,
                jsonb_build_object('target_type', p_aggregate_type, 'target_id', null, 'scope', 'tenant'));
    else
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select p_tenant_id, 'ReindexRequested', p_aggregate_type, i,
               jsonb_build_object('target_type', p_aggregate_type, 'target_id', i, 'scope', 'aggregate')
        from (select distinct unnest(p_aggregate_ids)) as ids(i);
    end if;
    get diagnostics v_rows = row_count;
    return v_rows;
end
$$;
comment on function ops.request_reindex(uuid, text, uuid[]) is
    'Emit ReindexRequested events: one per distinct id in p_aggregate_ids (payload scope "aggregate", target_id), or, '
    'with no ids, one for the whole type in the tenant (aggregate_id = the tenant id, payload scope "tenant", target_id null). '
    'Returns the number of events. psql: select ops.request_reindex(''<tenant uuid>'', ''product'');';
