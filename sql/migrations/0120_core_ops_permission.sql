-- depends: 0111_commerce_carts
-- core: the permission ops:manage (the tenant's operations screen in the admin: outbox backlog and dead letters
-- of the tenant's events, index verify and reindex, ops.health()), held by the admin role.

insert into core.permissions (name, description) values
    ('ops:manage', 'See the tenant''s outbox backlog, dead letters and health; retry dead letters, verify and reindex');

insert into core.role_permissions (role, permission) values ('admin', 'ops:manage');
