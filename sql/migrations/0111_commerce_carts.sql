-- depends: 0110_core_tenant_domains
-- commerce: shopping carts kept in PostgreSQL (a visitor's cart by a secret token, a signed-in user's by user).

create table commerce.carts (
    tenant_id     uuid not null references core.tenants (id) on delete cascade,
    id            uuid not null default core.new_id(),
    token_hash    text,
    customer_id   uuid,
    currency_code char(3) not null references commerce.currencies (code) on update cascade on delete restrict,
    status        text not null default 'open',
    order_id      uuid,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint carts_token_hash_key unique (tenant_id, token_hash),
    foreign key (tenant_id, customer_id) references core.users (tenant_id, id) on delete cascade,
    constraint carts_status_check check (status in ('open', 'ordered')),
    constraint carts_owner_check check (token_hash is not null or customer_id is not null),
    constraint carts_order_check check ((status = 'ordered') = (order_id is not null))
);
create index carts_customer_idx on commerce.carts (tenant_id, customer_id) where status = 'open';

create table commerce.cart_lines (
    tenant_id  uuid not null references core.tenants (id) on delete cascade,
    cart_id    uuid not null,
    variant_id uuid not null,
    quantity   integer not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, cart_id, variant_id),
    foreign key (tenant_id, cart_id) references commerce.carts (tenant_id, id) on delete cascade,
    foreign key (tenant_id, variant_id) references commerce.variants (tenant_id, id) on delete cascade,
    constraint cart_lines_quantity_check check (quantity between 1 and 999)
);
create index cart_lines_variant_idx on commerce.cart_lines (tenant_id, variant_id);
