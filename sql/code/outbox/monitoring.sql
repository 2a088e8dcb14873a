-- outbox/monitoring.sql: views of the queues for operators.

-- Operator views and functions for the outbox: backlog, dead letters, retry, discard, replay,
-- and the event history read by live listeners.
create or replace view outbox.backlog as
select c.name                                                              as consumer,
       c.enabled,
       d.event_type,
       count(d.event_id) filter (where d.state = 'pending')                as pending,
       count(d.event_id) filter (where d.state = 'pending' and d.locked_until >= now()) as in_flight,
       count(d.event_id) filter (where d.state = 'pending' and d.attempts > 0
                                   and (d.locked_until is null or d.locked_until < now())) as retrying,
       count(d.event_id) filter (where d.state = 'dead')                   as dead,
       now() - min(d.occurred_at) filter (where d.state = 'pending')       as oldest_pending_age,
       min(d.occurred_at) filter (where d.state = 'pending')               as oldest_pending_at,
       (array_agg(d.last_error order by d.last_error_at desc nulls last)
            filter (where d.last_error is not null))[1]                    as last_error
from outbox.consumers c
left join outbox.deliveries d on d.consumer = c.name
group by c.name, c.enabled, d.event_type;
comment on view outbox.backlog is
    'Per consumer and event type: pending (queued), in_flight (leased now), retrying (failed before, waiting), dead '
    '(dead-letter), the oldest pending event''s age and the latest error. A consumer with an empty queue shows one '
    'row with event_type null and zero counts. psql: table outbox.backlog;';
comment on column outbox.backlog.consumer is 'The consumer (outbox.consumers.name).';
comment on column outbox.backlog.enabled is 'Whether the consumer is enabled (a paused consumer''s queue still fills).';
comment on column outbox.backlog.event_type is
    'Event type of the queued deliveries; null on the one row of a consumer with an empty queue.';
comment on column outbox.backlog.pending is 'Deliveries waiting in the queue (state pending), leased ones included.';
comment on column outbox.backlog.in_flight is 'Pending deliveries a worker holds the lease of right now.';
comment on column outbox.backlog.retrying is
    'Pending deliveries that failed before and wait for their retry (not leased).';
comment on column outbox.backlog.dead is 'Dead-letter deliveries (failed max_attempts times).';
comment on column outbox.backlog.oldest_pending_age is
    'How long the oldest pending event has waited (now - occurred_at).';
comment on column outbox.backlog.oldest_pending_at is 'occurred_at of the oldest pending event.';
comment on column outbox.backlog.last_error is 'The most recent error of these deliveries (SQLSTATE: message).';

create or replace view outbox.dead_letters as
select d.consumer, d.event_id, d.event_type, d.tenant_id, e.aggregate_type, e.aggregate_id, d.occurred_at,
       d.attempts, d.last_error, d.last_error_at, e.payload
from outbox.deliveries d
left join outbox.events e on e.tenant_id = d.tenant_id and e.occurred_at = d.occurred_at and e.id = d.event_id
where d.state = 'dead';
comment on view outbox.dead_letters is
    'Dead deliveries with their event and last error (SQLSTATE: message). Retry with ops.retry_dead, drop with ops.discard_dead.';
comment on column outbox.dead_letters.consumer is 'The consumer whose delivery died.';
comment on column outbox.dead_letters.event_id is 'The event (outbox.events.id).';
comment on column outbox.dead_letters.event_type is 'Its event type.';
comment on column outbox.dead_letters.tenant_id is
    'The event''s tenant (outbox.deliveries.tenant_id; the event columns are null when its partition was dropped).';
comment on column outbox.dead_letters.aggregate_type is 'The event''s aggregate type.';
comment on column outbox.dead_letters.aggregate_id is 'The event''s aggregate id.';
comment on column outbox.dead_letters.occurred_at is 'When the event occurred.';
comment on column outbox.dead_letters.attempts is 'Processing attempts made.';
comment on column outbox.dead_letters.last_error is 'SQLSTATE and message of the last failure.';
comment on column outbox.dead_letters.last_error_at is 'When the last failure happened.';
comment on column outbox.dead_letters.payload is 'The event''s payload.';
