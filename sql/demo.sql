-- Demo data for `rustok up --demo`. Idempotent: everything is skipped when it already exists.
-- Runs as the migration owner in one transaction; passwords are set by rustok.demo (scrypt).
insert into core.tenants (name, slug, settings)
values ('Demo Store', 'demo', '{"low_stock_threshold": 3}')
on conflict (slug) do nothing;

select core.set_tenant(core.tenant_id_by_slug('demo'));

insert into core.users (tenant_id, email, password_hash, display_name, role)
select core.current_tenant_id(), v.email, '!unset', v.name, v.role
from (values ('admin@demo.example', 'Demo Admin', 'admin'),
             ('writer@demo.example', 'Wendy Writer', 'author'),
             ('shopper@demo.example', 'Sam Shopper', 'customer')) as v(email, name, role)
on conflict do nothing;

insert into commerce.categories (tenant_id, name, handle)
values (core.current_tenant_id(), 'Apparel', 'apparel'), (core.current_tenant_id(), 'Home', 'home')
on conflict do nothing;

select commerce.create_product(v.doc)
from (values
    ('{"title": "Classic Tee", "handle": "classic-tee", "subtitle": "Organic cotton", "status": "published",
       "description": "A soft, heavyweight T-shirt in organic cotton.",
       "variants": [{"title": "S", "sku": "TEE-S", "prices": [{"amount": 1999, "currencyCode": "EUR"}, {"amount": 2199, "currencyCode": "USD"}], "stock": 20},
                    {"title": "M", "sku": "TEE-M", "prices": [{"amount": 1999, "currencyCode": "EUR"}, {"amount": 2199, "currencyCode": "USD"}], "stock": 2}]}'::jsonb),
    ('{"title": "Ceramic Mug", "handle": "ceramic-mug", "status": "published",
       "description": "Stoneware mug, dishwasher safe, 350 ml.",
       "variants": [{"title": "Default", "sku": "MUG-1", "prices": [{"amount": 1200, "currencyCode": "EUR"}], "stock": 40}]}'::jsonb),
    ('{"title": "Wool Blanket", "handle": "wool-blanket", "status": "draft",
       "description": "Merino wool throw (coming soon).",
       "variants": [{"title": "Default", "sku": "BLK-1", "prices": [{"amount": 8900, "currencyCode": "EUR"}]}]}'::jsonb)
) as v(doc)
where not exists (select from commerce.products p
                  where p.tenant_id = core.current_tenant_id() and p.handle = v.doc->>'handle');

insert into commerce.product_categories (tenant_id, product_id, category_id)
select p.tenant_id, p.id, c.id
from commerce.products p
join commerce.categories c on c.tenant_id = p.tenant_id
  and c.handle = case when p.handle = 'classic-tee' then 'apparel' else 'home' end
where p.tenant_id = core.current_tenant_id()
on conflict do nothing;

select content.create_node(v.doc, (select id from core.users where tenant_id = core.current_tenant_id()
                                                              and email = 'writer@demo.example'))
from (values
    ('{"kind": "page", "title": "About us", "status": "published", "publishedAt": "2026-01-01T00:00:00Z",
       "body": "We make **simple things** that last."}'::jsonb),
    ('{"kind": "post", "title": "Hello, world", "status": "published", "publishedAt": "2026-02-01T00:00:00Z",
       "excerpt": "Our first post.", "body": "Welcome to the demo store blog. Try searching for *tee*."}'::jsonb)
) as v(doc)
where not exists (select from content.nodes n where n.tenant_id = core.current_tenant_id()
                  and n.kind = v.doc->>'kind' and n.slug = content.slugify(v.doc->>'title'));

-- the storefront answers http://localhost:<port>/ as the demo shop (besides /t/demo/ on any host)
insert into core.tenant_domains (tenant_id, host)
values (core.current_tenant_id(), 'localhost')
on conflict do nothing;
