-- core/accounts.sql: password reset and invitations by e-mailed, single-use, expiring tokens.
--
-- The flow (docs/graphql.md "Accounts"):
--   1. the API asks:   core.request_password_reset(email, lifetime)    (anonymous; answers the same either way)
--                      core.invite_user_by_mail(email, role, name, lifetime)     (users:manage)
--      Each inserts a row in core.account_tokens WITHOUT a token; its trigger emits PasswordResetRequested or
--      UserInvited (payload: user_id, token_id) to the outbox.
--   2. the worker's mail consumer (rustok.mail, outbox consumer 'mail') makes a random token, stores only its
--      sha256 (core.prepare_account_mail), sends the link by SMTP (or into the local mail directory) and marks
--      the row mailed (core.account_mail_sent); the token itself exists only in the mail.
--   3. the API redeems:  core.reset_password_with_token(token_hash, password_hash)
--                        core.accept_invitation(token_hash, password_hash, display_name)
--      once (used_at), before expires_at, in the tenant of the request.

-- ---------------------------------------------------------------- events
create or replace function core.tg_account_tokens__requested() returns trigger
    language plpgsql volatile
as $$
begin
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select n.tenant_id, case n.purpose when 'invitation' then 'UserInvited' else 'PasswordResetRequested' end,
           'user', n.user_id, jsonb_build_object('user_id', n.user_id, 'token_id', n.id)
    from new_rows n;
    return null;
end
$$;
comment on function core.tg_account_tokens__requested() is
    'AFTER INSERT statement trigger on core.account_tokens: one PasswordResetRequested or UserInvited event per new '
    'token row (payload user_id, token_id; never the token, which the mail consumer makes).';

-- ---------------------------------------------------------------- requests (API)
create or replace function core.request_password_reset(p_email text, p_lifetime interval default '1 hour',
                                                       p_max_per_window integer default 3,
                                                       p_window interval default '1 hour')
    returns boolean
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
    v_user   uuid;
    v_recent bigint;
begin
    if v_tenant is null then
        raise exception 'core.request_password_reset: no tenant in this transaction (select core.set_tenant(...))'
            using errcode = 'invalid_parameter_value';
    end if;
    if p_lifetime is null or p_lifetime <= interval '0' or p_max_per_window is null or p_max_per_window < 1 then
        raise exception 'core.request_password_reset: p_lifetime must be positive and p_max_per_window at least 1'
            using errcode = 'invalid_parameter_value';
    end if;
    -- one request per account at a time (the count below then holds over concurrent requests)
    perform pg_advisory_xact_lock(hashtextextended('core.account_tokens/' || v_tenant::text || '/'
                                                   || lower(btrim(coalesce(p_email, ''))), 0));
    select u.id into v_user from core.users u
    where u.tenant_id = v_tenant and lower(u.email) = lower(btrim(coalesce(p_email, ''))) and u.status = 'active';
    -- the same reads whether or not the account exists (the API also pads its answer to a fixed time, so the
    -- answer's timing does not tell whether an email is registered)
    select count(*) into v_recent from core.account_tokens t
    where t.tenant_id = v_tenant and t.user_id = v_user and t.purpose = 'password_reset'
      and t.created_at > now() - p_window;
    if v_user is null then
        return false;
    end if;
    if v_recent >= p_max_per_window then
        return false;   -- enough mails for now: the owner has them; a flood of requests sends no more
    end if;
    insert into core.account_tokens (tenant_id, user_id, purpose, expires_at)
    values (v_tenant, v_user, 'password_reset', now() + p_lifetime);
    return true;
end
$$;
comment on function core.request_password_reset(text, interval, integer, interval) is
    'Forgot password: when an active account of the current tenant has this email (case-insensitive) and it got '
    'fewer than p_max_per_window reset mails in p_window, record a reset (valid p_lifetime) whose mail the worker '
    'sends (PasswordResetRequested). True when a mail will go out; the API answers the same either way, so the '
    'answer never tells whether an email is registered. (GraphQL requestPasswordReset.)';
revoke execute on function core.request_password_reset(text, interval, integer, interval) from public;
grant execute on function core.request_password_reset(text, interval, integer, interval) to rustok_app;

create or replace function core.invite_user_by_mail(p_email text, p_role text, p_display_name text default null,
                                                    p_lifetime interval default '7 days')
    returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
    v_id     uuid;
begin
    perform core.require_permission('users:manage');
    if p_lifetime is null or p_lifetime <= interval '0' then
        raise exception 'core.invite_user_by_mail: p_lifetime must be positive' using errcode = 'invalid_parameter_value';
    end if;
    if p_role is null or p_role not in ('admin', 'manager', 'editor', 'author', 'customer') then
        raise exception 'core.users.role: must be one of admin, manager, editor, author, customer (got %)', coalesce(p_role, 'null')
            using errcode = 'check_violation', column = 'role';
    end if;
    if p_email is null or btrim(p_email) !~ '^[^@[:space:]]+@[^@[:space:]]+$' then
        raise exception 'core.users.email: must be an email address like ann@example.com'
            using errcode = 'check_violation', column = 'email';
    end if;
    if exists (select from core.users u where u.tenant_id = v_tenant and lower(u.email) = lower(btrim(p_email))) then
        raise exception 'core.users.email: % is already used by another account of this shop', btrim(p_email)
            using errcode = 'unique_violation', column = 'email';
    end if;
    -- no password until the invitation is accepted: '!' is no hash, so nothing can sign in with it
    insert into core.users (tenant_id, email, password_hash, display_name, role, status)
    values (v_tenant, btrim(p_email), '!', nullif(btrim(p_display_name), ''), p_role, 'invited')
    returning id into v_id;
    insert into core.account_tokens (tenant_id, user_id, purpose, expires_at)
    values (v_tenant, v_id, 'invitation', now() + p_lifetime);
    return v_id;
end
$$;
comment on function core.invite_user_by_mail(text, text, text, interval) is
    'Invite someone by email with a role (permission users:manage): an account with status invited (it cannot sign '
    'in) and an invitation valid p_lifetime whose mail the worker sends (UserInvited); the person chooses a password '
    'with core.accept_invitation. The email is unique per tenant (23505). Returns the user id. (GraphQL inviteUser '
    'without a password.)';
revoke execute on function core.invite_user_by_mail(text, text, text, interval) from public;
grant execute on function core.invite_user_by_mail(text, text, text, interval) to rustok_app;

create or replace function core.resend_invitation(p_user_id uuid, p_lifetime interval default '7 days')
    returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
begin
    perform core.require_permission('users:manage');
    if not exists (select from core.users u where u.tenant_id = v_tenant and u.id = p_user_id) then
        raise exception 'core.users.id: no user % in this tenant', p_user_id using errcode = 'no_data_found', column = 'id';
    end if;
    if not exists (select from core.users u where u.tenant_id = v_tenant and u.id = p_user_id and u.status = 'invited') then
        raise exception 'core.users.status: this account has already accepted its invitation (or was deactivated)'
            using errcode = 'object_not_in_prerequisite_state', column = 'status';
    end if;
    -- the earlier links stop working: only the newest invitation counts
    update core.account_tokens t set used_at = now()
    where t.tenant_id = v_tenant and t.user_id = p_user_id and t.purpose = 'invitation' and t.used_at is null;
    insert into core.account_tokens (tenant_id, user_id, purpose, expires_at)
    values (v_tenant, p_user_id, 'invitation', now() + p_lifetime);
    return p_user_id;
end
$$;
comment on function core.resend_invitation(uuid, interval) is
    'Send an invited account a new invitation (permission users:manage); earlier invitation links stop working. '
    'Refused (55000) once the invitation was accepted. (GraphQL resendInvitation.)';
revoke execute on function core.resend_invitation(uuid, interval) from public;
grant execute on function core.resend_invitation(uuid, interval) to rustok_app;

create or replace function core.send_password_reset(p_user_id uuid, p_lifetime interval default '1 hour')
    returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
begin
    perform core.require_permission('users:manage');
    if not exists (select from core.users u where u.tenant_id = v_tenant and u.id = p_user_id) then
        raise exception 'user_id: no user % in this tenant', p_user_id using errcode = 'no_data_found', column = 'user_id';
    end if;
    if not exists (select from core.users u where u.tenant_id = v_tenant and u.id = p_user_id and u.status = 'active') then
        raise exception 'user_id: only an active account can reset its password (an invited one: resendInvitation)'
            using errcode = 'object_not_in_prerequisite_state', column = 'user_id';
    end if;
    insert into core.account_tokens (tenant_id, user_id, purpose, expires_at)
    values (v_tenant, p_user_id, 'password_reset', now() + p_lifetime);
    return p_user_id;
end
$$;
comment on function core.send_password_reset(uuid, interval) is
    'An administrator (permission users:manage) mails an active account of the current tenant a password reset link '
    '(single use, valid p_lifetime; PasswordResetRequested, sent by the worker''s mail consumer). The account keeps its '
    'password until the link is used. (GraphQL sendPasswordReset.)';
revoke execute on function core.send_password_reset(uuid, interval) from public;
grant execute on function core.send_password_reset(uuid, interval) to rustok_app;

-- ---------------------------------------------------------------- redeeming (API)
create or replace function core._redeem_account_token(p_purpose text, p_token_hash text) returns uuid
    language plpgsql volatile
as $$
declare
    v_token core.account_tokens;
begin
    select * into v_token from core.account_tokens t
    where t.tenant_id = core.current_tenant_id() and t.token_hash = lower(p_token_hash) and t.purpose = p_purpose
    for update;
    if v_token.id is null then
        raise exception 'token: this link is not valid (check that it was copied whole)'
            using errcode = 'no_data_found', column = 'token_hash';
    end if;
    if v_token.used_at is not null then
        raise exception 'token: this link was already used (or replaced by a newer one); ask for a new one'
            using errcode = 'object_not_in_prerequisite_state', column = 'used_at';
    end if;
    if v_token.expires_at <= now() then
        raise exception 'token: this link expired at %; ask for a new one', to_char(v_token.expires_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')
            using errcode = 'object_not_in_prerequisite_state', column = 'expires_at';
    end if;
    -- this link and every other open one of the same kind for the account: single use
    update core.account_tokens t set used_at = now()
    where t.tenant_id = v_token.tenant_id and t.user_id = v_token.user_id and t.purpose = p_purpose and t.used_at is null;
    return v_token.user_id;
end
$$;
comment on function core._redeem_account_token(text, text) is
    'Internal: use up the current tenant''s token of this purpose with this sha256 hash, and every other open token '
    'of the account of the same purpose; the user id. Refused: unknown (P0002, column token_hash), already used '
    '(55000, column used_at), expired (55000, column expires_at).';
revoke all on function core._redeem_account_token(text, text) from public;
grant execute on function core._redeem_account_token(text, text) to rustok_app;

create or replace function core.reset_password_with_token(p_token_hash text, p_password_hash text) returns uuid
    language plpgsql volatile
as $$
declare
    v_user uuid := core._redeem_account_token('password_reset', p_token_hash);
begin
    update core.users u set password_hash = p_password_hash
    where u.tenant_id = core.current_tenant_id() and u.id = v_user and u.status = 'active';
    if not found then
        raise exception 'token: this account is not active any more; ask the shop'
            using errcode = 'object_not_in_prerequisite_state', column = 'status';
    end if;
    -- whoever knew the old password is signed out everywhere
    delete from core.sessions s where s.tenant_id = core.current_tenant_id() and s.user_id = v_user;
    return v_user;
end
$$;
comment on function core.reset_password_with_token(text, text) is
    'Forgot password, step two: with a reset link''s token (its sha256 hash) set the account''s new password hash '
    '(the application hashes it) and end every session of the account. Single use, before it expires; refusals as '
    'core._redeem_account_token. Returns the user id. (GraphQL resetPassword.)';
revoke execute on function core.reset_password_with_token(text, text) from public;
grant execute on function core.reset_password_with_token(text, text) to rustok_app;

create or replace function core.accept_invitation(p_token_hash text, p_password_hash text, p_display_name text default null)
    returns uuid
    language plpgsql volatile
as $$
declare
    v_user uuid := core._redeem_account_token('invitation', p_token_hash);
begin
    update core.users u
       set password_hash = p_password_hash, status = 'active',
           display_name = coalesce(nullif(btrim(p_display_name), ''), u.display_name)
     where u.tenant_id = core.current_tenant_id() and u.id = v_user and u.status = 'invited';
    if not found then
        raise exception 'token: this invitation was withdrawn; ask the shop for a new one'
            using errcode = 'object_not_in_prerequisite_state', column = 'status';
    end if;
    return v_user;
end
$$;
comment on function core.accept_invitation(text, text, text) is
    'Accept an invitation with its link''s token (sha256 hash): the invited account gets its password hash and '
    'name and becomes active. Single use, before it expires; refusals as core._redeem_account_token, and 55000 '
    'when the account is no longer invited (deactivated meanwhile). Returns the user id. (GraphQL acceptInvitation.)';
revoke execute on function core.accept_invitation(text, text, text) from public;
grant execute on function core.accept_invitation(text, text, text) to rustok_app;

-- ---------------------------------------------------------------- the mail consumer (worker, owner role)
create or replace function core.prepare_account_mail(p_tenant_id uuid, p_token_id uuid, p_token_hash text)
    returns table (purpose text, email text, display_name text, role text, tenant_slug text, tenant_name text,
                   expires_at timestamptz, tenant_host text)
    language sql volatile
as $$
    update core.account_tokens t set token_hash = lower(p_token_hash)
    from core.users u, core.tenants tn
    where t.tenant_id = p_tenant_id and t.id = p_token_id
      and t.used_at is null and t.mailed_at is null and t.expires_at > now()
      and u.tenant_id = t.tenant_id and u.id = t.user_id
      and u.status = case t.purpose when 'invitation' then 'invited' else 'active' end
      and tn.id = t.tenant_id and tn.is_active
    returning t.purpose, u.email, u.display_name, u.role, tn.slug, tn.name, t.expires_at,
              (select d.host from core.tenant_domains d where d.tenant_id = t.tenant_id
               order by d.created_at, d.host limit 1)
$$;
comment on function core.prepare_account_mail(uuid, uuid, text) is
    'Mail consumer (rustok.mail, in the transaction that sends the mail): give a token row that still needs its mail '
    'the hash of the token the mail will carry, and return what the mail needs (purpose, recipient, tenant, expiry, '
    'and the tenant''s own host name, the first it added, or null when it has none: the link goes there, else to '
    'RUSTOK_PUBLIC_URL/t/<slug>/). No row when nothing is to be sent (already mailed, used, expired, account or '
    'tenant no longer eligible).';
revoke all on function core.prepare_account_mail(uuid, uuid, text) from public;

create or replace function core.account_mail_sent(p_tenant_id uuid, p_token_id uuid) returns boolean
    language sql volatile
as $$
    update core.account_tokens t set mailed_at = now(), mail_error = null
    where t.tenant_id = p_tenant_id and t.id = p_token_id and t.mailed_at is null
    returning true
$$;
comment on function core.account_mail_sent(uuid, uuid) is
    'Mail consumer: the token''s mail went out (the mail server accepted it, or it was written to the mail directory).';
revoke all on function core.account_mail_sent(uuid, uuid) from public;

create or replace function core.account_mail_failed(p_tenant_id uuid, p_token_id uuid, p_error text) returns boolean
    language sql volatile
as $$
    update core.account_tokens t set mail_error = left(coalesce(p_error, 'unknown error'), 1000)
    where t.tenant_id = p_tenant_id and t.id = p_token_id and t.mailed_at is null
    returning true
$$;
comment on function core.account_mail_failed(uuid, uuid, text) is
    'Mail consumer: sending the token''s mail failed (the mail server''s answer, no token in it); the outbox retries '
    'the event with a backoff and shows this error in outbox.deliveries.last_error.';
revoke all on function core.account_mail_failed(uuid, uuid, text) from public;

create or replace function core.purge_account_tokens(p_grace interval default '7 days') returns bigint
    language plpgsql volatile
as $$
declare
    v_rows bigint;
begin
    if p_grace is null or p_grace < interval '0' then
        raise exception 'p_grace: must be a non-negative interval (got %)', p_grace using errcode = 'invalid_parameter_value';
    end if;
    delete from core.account_tokens t where t.expires_at < now() - p_grace;
    get diagnostics v_rows = row_count;
    return v_rows;
end
$$;
comment on function core.purge_account_tokens(interval) is
    'Operator (run by ops.maintain): delete reset and invitation tokens that expired more than p_grace ago (used ones '
    'keep their expires_at and go the same way). Returns how many were deleted.';
revoke all on function core.purge_account_tokens(interval) from public;

-- ---------------------------------------------------------------- core.account_tokens

comment on table core.account_tokens is
    'Password reset and invitation links: single use (used_at), expiring (expires_at). Only the sha256 of a link''s '
    'token is stored, set by the mail consumer when it sends the mail. Requested by core.request_password_reset and '
    'core.invite_user_by_mail, redeemed by core.reset_password_with_token and core.accept_invitation.';
comment on column core.account_tokens.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column core.account_tokens.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(); the event payload''s token_id.';
comment on column core.account_tokens.user_id is 'The account the link is for (same tenant).';
comment on column core.account_tokens.purpose is 'password_reset | invitation';
comment on column core.account_tokens.token_hash is
    'sha256 (hex) of the token in the mailed link; null until the mail consumer sends it. Never the token itself.';
comment on column core.account_tokens.expires_at is 'The link works until this moment (RUSTOK_PASSWORD_RESET_TTL, RUSTOK_INVITATION_TTL).';
comment on column core.account_tokens.used_at is 'When the link was used (or replaced by a newer one); a used link is refused.';
comment on column core.account_tokens.mailed_at is 'When the mail went out (null: not yet; the outbox retries).';
comment on column core.account_tokens.mail_error is 'The last failure to send the mail (the mail server''s answer), cleared when it is sent.';
comment on column core.account_tokens.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column core.account_tokens.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('core.account_tokens');
grant select, insert, update on core.account_tokens to rustok_app;

create or replace trigger _100_timestamps before insert or update on core.account_tokens
    for each row
    execute function core.tg__timestamps();

create or replace trigger _900_account_token_requested after insert on core.account_tokens
    referencing new table as new_rows for each statement
    execute function core.tg_account_tokens__requested();
