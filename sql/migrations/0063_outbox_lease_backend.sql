-- depends: 0062_commerce_generic_cycle_check
-- outbox: remember which backend holds a lease, so a lease of a worker that died (its connection is gone)
-- is taken over at once instead of after the whole lease (5 minutes by default).

alter table outbox.deliveries add column locked_pid integer;
