-- ops/psql.sql: helpers of the psql scripts in sql/ops/ (they take -v variables).

create or replace function ops._psql_var(p_name text, p_value text, p_type regtype, p_example text default null)
    returns text
    language plpgsql volatile
as $$
begin
    if p_value is null or btrim(p_value) = '' then
        raise exception '-v %: is required (e.g. -v %=%)', p_name, p_name, coalesce(p_example, '...')
            using errcode = 'invalid_parameter_value';
    end if;
    begin
        execute format('select %L::%s', p_value, p_type);
    exception when others then
        raise exception '-v %: % is not a valid % (e.g. -v %=%)', p_name, p_value, p_type, p_name, coalesce(p_example, '...')
            using errcode = 'invalid_parameter_value';
    end;
    return p_value;
end
$$;
comment on function ops._psql_var(text, text, regtype, text) is
    'Internal, for the psql scripts of sql/ops/: check that psql variable p_name (given with -v) is set and is a valid '
    'p_type; raise 22023 naming it otherwise. Returns p_value.';
revoke all on function ops._psql_var(text, text, regtype, text) from public;

create or replace function ops._tenant_id(p_tenant text) returns uuid
    language plpgsql stable
as $$
declare
    v_id uuid;
begin
    select t.id into v_id from core.tenants t
     where t.slug = p_tenant or (p_tenant ~* '^[0-9a-f-]{36}$' and t.id = p_tenant::uuid);
    if v_id is null then
        raise exception 'tenant: no tenant with slug or id %', coalesce(p_tenant, 'null') using errcode = 'no_data_found';
    end if;
    return v_id;
end
$$;
comment on function ops._tenant_id(text) is 'Internal, for the psql scripts: the id of a tenant given by slug or id; P0002 naming tenant otherwise.';
revoke all on function ops._tenant_id(text) from public;
