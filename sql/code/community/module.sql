-- community/module.sql: community module guard (module toggle).

create or replace function community.tg__assert_module() returns trigger
    language plpgsql volatile
as $$
begin
    if pg_trigger_depth() > 1 then
        return null;
    end if;
    perform content._assert_module(tg_argv[0], array(select distinct r.tenant_id from new_rows r), 'community');
    return null;
end
$$;
comment on function community.tg__assert_module() is
    'AFTER INSERT/UPDATE statement trigger (argument: table name): refuses (55000) writes for tenants with module community disabled.';
