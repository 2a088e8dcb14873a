-- core/timestamps.sql: the generic created_at / updated_at trigger function.

-- ---------------------------------------------------------------- generic triggers
create or replace function core.tg__timestamps() returns trigger
    language plpgsql volatile
as $$
begin
    if tg_op = 'INSERT' then
        new.created_at := coalesce(new.created_at, now());
        new.updated_at := new.created_at;
    elsif new is distinct from old then
        new.created_at := old.created_at;   -- created_at is write-once
        new.updated_at := greatest(now(), old.updated_at);
    end if;
    return new;
end
$$;
comment on function core.tg__timestamps() is
    'BEFORE INSERT/UPDATE trigger: keeps created_at write-once and sets updated_at when a row really changes.';
grant execute on function core.tg__timestamps() to rustok_analyst, rustok_app;
