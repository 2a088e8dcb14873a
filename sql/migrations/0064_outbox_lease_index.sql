-- depends: 0063_outbox_lease_backend
-- outbox: find a worker's own leases without scanning the queue (outbox._lease looked at every pending delivery
-- and sorted them on every batch: quadratic in the backlog). Partial: only leased rows are in it.

create index deliveries_lease_idx on outbox.deliveries (consumer, locked_by) where locked_by is not null;

-- The claim order is (available_at, event_id): a drain in one long transaction resumes after the last delivery
-- it took instead of walking, batch after batch, past the index entries of the rows it already deleted.
drop index outbox.deliveries_claim_idx;
create index deliveries_claim_idx on outbox.deliveries (consumer, available_at, event_id) where state = 'pending';

-- outbox._lease and outbox._process_batch take the resume position (sql/code/outbox/queue.sql): drop the
-- signatures without it.
drop function if exists outbox._lease(text, text, integer, interval);
drop function if exists outbox._process_batch(text, integer, text, boolean);
