-- outbox/mail.sql: the 'mail' consumer: account mails (password reset, invitation; sql/code/core/accounts.sql).
--
-- Sending mail is I/O the database cannot do, so the worker does it (rustok.mail): for the deliveries of 'mail'
-- it has leased (outbox.claim) it makes each link's token, stores its hash and sends the mail, each in a
-- transaction of its own; then outbox.process_batch('mail') runs this handler, which acknowledges the events
-- whose mail went out and fails (with the mail server's answer, retried with the consumer's backoff) those whose
-- mail did not. Draining 'mail' from psql therefore sends nothing: it only fails what is not sent yet.

create or replace function outbox.mail_sent(p_events outbox.events[]) returns void
    language plpgsql volatile
as $$
declare
    v_pending record;
begin
    select t.id, t.mail_error into v_pending
    from unnest(p_events) e
    join core.account_tokens t on t.tenant_id = e.tenant_id and t.id = (e.payload ->> 'token_id')::uuid
    where e.event_type in ('PasswordResetRequested', 'UserInvited')
      and t.mailed_at is null and t.used_at is null and t.expires_at > now()
    limit 1;
    if found then
        raise exception 'core.account_tokens.mailed_at: the mail of token % is not sent yet: %', v_pending.id,
            coalesce(v_pending.mail_error, 'the worker sends it (rustok worker; docs/operators.md "Mail")')
            using errcode = 'object_not_in_prerequisite_state', column = 'mailed_at';
    end if;
end
$$;
comment on function outbox.mail_sent(outbox.events[]) is
    'Handler of the outbox consumer mail: succeeds for events whose account mail the worker has sent (or that need '
    'none any more: used, expired or deleted tokens); raises 55000 with the last mail error for the others, so the '
    'outbox retries them with a backoff and finally keeps them as dead letters.';

-- Registered once; an operator's later changes (batch size, paused) stay.
insert into outbox.consumers (name, handler, event_types, batch_size, max_attempts, description)
values ('mail', 'outbox.mail_sent(outbox.events[])', '{PasswordResetRequested,UserInvited}', 20, 10,
        'Account mails (password reset links, invitations): sent by the worker (rustok.mail) over SMTP '
        '(RUSTOK_SMTP_URL) or into the local mail directory')
on conflict (name) do nothing;
