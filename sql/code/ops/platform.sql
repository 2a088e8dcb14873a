-- ops/platform.sql: platform operators in the API (GraphQL platform:manage; sql/code/core/platform.sql).

create or replace function ops.grant_platform_admin(p_tenant_slug text, p_email text, p_grant boolean default true)
    returns boolean
    language plpgsql volatile
as $$
begin
    update core.users u set is_platform_admin = coalesce(p_grant, true)
    where u.tenant_id = (select t.id from core.tenants t where t.slug = p_tenant_slug)
      and lower(u.email) = lower(btrim(p_email));
    if not found then
        raise exception 'no user % in tenant %', p_email, p_tenant_slug using errcode = 'no_data_found';
    end if;
    return coalesce(p_grant, true);
end
$$;
comment on function ops.grant_platform_admin(text, text, boolean) is
    'Operator: make a user (tenant slug + email) a platform operator, who then manages every tenant and its domains '
    'through the API (permission platform:manage), or (p_grant false) no longer. The application role cannot. '
    'psql: select ops.grant_platform_admin(''hq'', ''ops@example.com'');';
revoke all on function ops.grant_platform_admin(text, text, boolean) from public;
