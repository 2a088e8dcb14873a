-- depends: 0100_core_sessions_tenant_key
-- core: the permission matrix. Permissions by name, and which tenant role holds which (reference data, the same
-- for every tenant). API functions check the acting user's role against it (core.require_permission).

create table core.permissions (
    name        text not null primary key,
    description text not null,
    constraint permissions_name_check check (name ~ '^[a-z_]+:[a-z_]+$' and length(name) <= 64)
);

create table core.role_permissions (
    role       text not null,
    permission text not null references core.permissions (name) on update cascade on delete cascade,
    primary key (role, permission),
    constraint role_permissions_role_check check (role in ('admin', 'manager', 'editor', 'author', 'customer'))
);

insert into core.permissions (name, description) values
    ('catalog:write', 'Create, change and delete products, variants, options, prices, categories and stock'),
    ('orders:read_all', 'See every order of the tenant (others see their own)'),
    ('orders:write', 'Change order status, cancel orders'),
    ('orders:place', 'Place orders'),
    ('content:read_drafts', 'See unpublished products and content'),
    ('content:write_own', 'Create pages and posts, and change those one authored'),
    ('content:write_all', 'Change any page or post'),
    ('content:publish', 'Publish, schedule and archive pages and posts'),
    ('content:moderate', 'Moderate comments'),
    ('content:comment', 'Comment on posts'),
    ('tags:manage', 'Create tags and attach them to products and content'),
    ('community:react', 'React to content, follow'),
    ('events:read', 'Subscribe to the live domain events'),
    ('users:manage', 'Invite users, change roles, deactivate accounts'),
    ('modules:manage', 'Turn modules on and off');

insert into core.role_permissions (role, permission)
select r.role, p.permission
from (values
    ('admin', array['catalog:write', 'orders:read_all', 'orders:write', 'orders:place', 'content:read_drafts',
                    'content:write_own', 'content:write_all', 'content:publish', 'content:moderate', 'content:comment',
                    'tags:manage', 'community:react', 'events:read', 'users:manage', 'modules:manage']),
    ('manager', array['catalog:write', 'orders:read_all', 'orders:write', 'orders:place', 'content:read_drafts',
                      'content:write_own', 'content:comment', 'tags:manage', 'community:react', 'events:read']),
    ('editor', array['orders:place', 'content:read_drafts', 'content:write_own', 'content:write_all', 'content:publish',
                     'content:moderate', 'content:comment', 'tags:manage', 'community:react', 'events:read']),
    ('author', array['orders:place', 'content:read_drafts', 'content:write_own', 'content:comment', 'community:react']),
    ('customer', array['orders:place', 'content:comment', 'community:react'])
) as r (role, permissions)
cross join lateral unnest(r.permissions) as p (permission);
