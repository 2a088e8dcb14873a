-- Demo data for `rustok up --demo`. Idempotent: every insert skips rows that exist.
insert into core.tenants (name, slug, settings)
values ('Demo Store', 'demo', '{"low_stock_threshold": 3}')
on conflict (slug) do nothing;

insert into core.users (tenant_id, email, password_hash, display_name, role)
select t.id, v.email, v.hash, v.name, v.role
from core.tenants t,
     (values ('admin@demo.example', 'Demo Admin', 'admin'),
             ('writer@demo.example', 'Wendy Writer', 'author'),
             ('shopper@demo.example', 'Sam Shopper', 'customer'))
         as v(email, name, role),
     lateral (select '!demo-account-no-password' as hash) h
where t.slug = 'demo'
on conflict do nothing;
