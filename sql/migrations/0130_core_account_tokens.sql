-- depends: 0122_commerce_product_images
-- core: single-use, expiring account tokens (password reset, invitation) e-mailed by the worker's mail consumer;
-- invited accounts (status 'invited': no password until the invitation is accepted).

create table core.account_tokens (
    tenant_id   uuid not null references core.tenants (id) on delete cascade,
    id          uuid not null default core.new_id(),
    user_id     uuid not null,
    purpose     text not null,
    token_hash  text,
    expires_at  timestamptz not null,
    used_at     timestamptz,
    mailed_at   timestamptz,
    mail_error  text,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint account_tokens_user_fkey foreign key (tenant_id, user_id)
        references core.users (tenant_id, id) on delete cascade,
    constraint account_tokens_purpose_check check (purpose in ('password_reset', 'invitation')),
    constraint account_tokens_token_hash_check check (token_hash ~ '^[0-9a-f]{64}$'),
    constraint account_tokens_mail_error_check check (length(mail_error) <= 1000)
);

create unique index account_tokens_token_hash_key on core.account_tokens (tenant_id, token_hash);
create index account_tokens_user_idx on core.account_tokens (tenant_id, user_id, purpose, created_at);

alter table core.users drop constraint users_status_check;
alter table core.users add constraint users_status_check check (status in ('active', 'inactive', 'banned', 'invited'));
