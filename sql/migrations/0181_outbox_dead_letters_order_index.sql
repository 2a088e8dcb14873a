-- depends: 0180_core_users_staff_order_index
-- outbox: the admin's deadLetters connection (outbox.page_dead_letters) pages a tenant's dead deliveries newest
-- failure first, keyed (last failure, event, consumer). Partial (dead rows only): the queue's hot inserts and
-- deletes of pending deliveries never touch it. Not concurrently (see 0180): outbox.deliveries stays small (a
-- delivery is deleted once processed), so the build is one short pass.

create index deliveries_dead_letters_idx
    on outbox.deliveries (tenant_id, (coalesce(last_error_at, '-infinity'::timestamptz)), event_id, consumer)
    where state = 'dead';
