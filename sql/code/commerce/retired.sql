-- commerce/retired.sql: handles of products that were deleted while published. A storefront asks
-- commerce.retired_product(handle, id) when no visible product answers an address: a row means 410 Gone, none 404.
-- Written by the AFTER DELETE trigger on commerce.products (_800_retire, in products.sql); a product that takes the
-- handle again (insert, or a handle change) removes it (_800_unretire): the address is no longer gone.

create or replace function commerce.tg_products__retire() returns trigger
    language plpgsql volatile
as $$
begin
    -- only products the public could see; not when the whole tenant is being deleted (its row is gone already)
    insert into commerce.retired_handles as r (tenant_id, handle, product_id, title)
    select o.tenant_id, o.handle, o.id, o.title
    from old_rows o
    where o.status = 'published'
      and exists (select from core.tenants t where t.id = o.tenant_id)
    on conflict (tenant_id, handle) do update
        set product_id = excluded.product_id, title = excluded.title, retired_at = excluded.retired_at;
    return null;
end
$$;
comment on function commerce.tg_products__retire() is
    'AFTER DELETE statement trigger on commerce.products: records the handle of every deleted product that was '
    'published in commerce.retired_handles (its storefront address answers 410 Gone from then on).';

create or replace function commerce.tg_products__unretire() returns trigger
    language plpgsql volatile
as $$
begin
    if tg_level = 'ROW' then   -- an UPDATE that changed the handle (the trigger's WHEN)
        delete from commerce.retired_handles r
        where r.tenant_id = new.tenant_id and r.handle = new.handle;
    else
        delete from commerce.retired_handles r
        using new_rows n
        where r.tenant_id = n.tenant_id and r.handle = n.handle;
    end if;
    return null;
end
$$;
comment on function commerce.tg_products__unretire() is
    'AFTER INSERT statement trigger and AFTER UPDATE OF handle row trigger (when the handle changed) on '
    'commerce.products: a product that takes a retired handle removes it from commerce.retired_handles (the address '
    'belongs to the new product now). Row-level for updates so that an update leaving the handle alone costs nothing.';

create or replace function commerce.retired_product(p_handle text, p_id uuid default null) returns table (handle text, title text, retired_at timestamptz)
    language sql stable
as $$
    select r.handle, r.title, r.retired_at
    from commerce.retired_handles r
    where r.tenant_id = core.current_tenant_id()
      and (r.handle = p_handle or r.product_id = p_id)
      and not exists (select from commerce.products p
                      where p.tenant_id = r.tenant_id and (p.handle = r.handle or p.id = r.product_id))
    order by r.retired_at desc
    limit 1
$$;
comment on function commerce.retired_product(text, uuid) is
    'The retired handle a storefront address names (by handle, or by the deleted product''s id), when no '
    'product answers to it any more: 410 Gone. No row: never existed (404). (GraphQL retired(kind: product).)';
revoke execute on function commerce.retired_product(text, uuid) from public;
grant execute on function commerce.retired_product(text, uuid) to rustok_app;

-- ---------------------------------------------------------------- commerce.retired_handles
comment on table commerce.retired_handles is
    'Storefront addresses of products deleted while published (410 Gone rather than 404). A product that takes the '
    'handle again removes its row. Written by triggers on commerce.products; read by commerce.retired_product.';
comment on column commerce.retired_handles.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.retired_handles.handle is 'The handle the deleted product had.';
comment on column commerce.retired_handles.product_id is 'The id the deleted product had (addresses by id answer 410 too).';
comment on column commerce.retired_handles.title is 'The deleted product''s title (for the Gone page and operators).';
comment on column commerce.retired_handles.retired_at is 'When the product was deleted.';

select core.enable_tenant_rls('commerce.retired_handles');
select core.allow_analyst_read('commerce.retired_handles');
grant select, insert, update, delete on commerce.retired_handles to rustok_app;
grant select on commerce.retired_handles to rustok_analyst;
