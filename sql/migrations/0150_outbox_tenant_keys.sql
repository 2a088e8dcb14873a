-- depends: 0142_commerce_guest_order_tokens
-- outbox: distribution-ready keys (issue 16.4): every outbox row carries tenant_id and every key leads with it, so
-- outbox.events and outbox.deliveries can be distributed by tenant (Citus), co-located with the tables whose
-- triggers write them. docs/scaling.md has the plan and how the claim runs per shard.
-- * outbox.deliveries gains tenant_id (the event's tenant), backfilled from the events; a delivery whose event row is
--   gone (a partition dropped by hand) gets the nil uuid, the platform's own "tenant" (no event has it today), and
--   fails as before with P0002 "event row not found". Its key becomes (tenant_id, consumer, event_id).
-- * outbox.events is keyed (tenant_id, occurred_at, id): it includes the partition key (occurred_at), and it also
--   serves what events_tenant_time_idx (tenant_id, occurred_at) served (outbox.events_since, the live listeners),
--   so that index goes: one index entry per event instead of two. An event id stays unique per tenant and day;
--   ids are ULIDs from core.new_id(), unique in practice, and on Citus nothing could enforce more anyway.
-- The claim index deliveries_claim_idx (consumer, available_at, event_id) is not unique and stays as it is: the
-- claim still takes the oldest available deliveries of one consumer across tenants.

alter table outbox.deliveries add column tenant_id uuid;
update outbox.deliveries d
   set tenant_id = e.tenant_id
  from outbox.events e
 where e.id = d.event_id and e.occurred_at = d.occurred_at;
update outbox.deliveries set tenant_id = '00000000-0000-0000-0000-000000000000' where tenant_id is null;
alter table outbox.deliveries alter column tenant_id set not null;
alter table outbox.deliveries drop constraint deliveries_pkey;
alter table outbox.deliveries add constraint deliveries_pkey primary key (tenant_id, consumer, event_id);

alter table outbox.events drop constraint events_pkey;
alter table outbox.events add constraint events_pkey primary key (tenant_id, occurred_at, id);
drop index outbox.events_tenant_time_idx;

-- its result gains tenant_id (create or replace cannot change a result type); sql/code/outbox/queue.sql recreates it
-- (if exists: on a fresh database the code tree, applied after all migrations, has not created it yet)
drop function if exists outbox._lease(text, text, integer, interval, timestamptz, uuid);
