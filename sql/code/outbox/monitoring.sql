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

create or replace view outbox.dead_letters as
select d.consumer, d.event_id, d.event_type, e.tenant_id, e.aggregate_type, e.aggregate_id, d.occurred_at,
       d.attempts, d.last_error, d.last_error_at, e.payload
from outbox.deliveries d
left join outbox.events e on e.id = d.event_id and e.occurred_at = d.occurred_at
where d.state = 'dead';
comment on view outbox.dead_letters is
    'Dead deliveries with their event and last error (SQLSTATE: message). Retry with ops.retry_dead, drop with ops.discard_dead.';
