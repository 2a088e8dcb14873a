-- depends: 0141_content_retired_slugs
-- commerce: guest checkout. An order placed without an account is found again by the SHA-256 of a secret token
-- (the guest's link to the order); the token itself is never stored.

create table commerce.guest_order_tokens (
    tenant_id        uuid not null references core.tenants (id) on delete cascade,
    token_hash       text not null,
    order_id         uuid not null,
    order_created_at timestamptz not null,
    created_at       timestamptz not null default now(),
    primary key (tenant_id, token_hash),
    foreign key (tenant_id, order_id, order_created_at)
        references commerce.orders (tenant_id, id, created_at) on delete cascade,
    constraint guest_order_tokens_token_hash_check check (token_hash ~ '^[0-9a-f]{64}$')
);
create index guest_order_tokens_order_idx on commerce.guest_order_tokens (tenant_id, order_id);
