-- depends: 0032_outbox_consumers 0033_outbox_core_events
-- A cheaper per-commit event path (bench/outbox_commit_ratio.py, bench/RESULTS.md):
-- * The trigger functions on the write path run as the caller instead of `security definer set search_path`:
--   a function with its own settings saves and restores GUCs on every call, which measured as ~20 % of
--   single-row commit throughput. The app role gets exactly the rights they need (insert events and
--   deliveries, read consumers, flip the doorbell); RLS still keeps its events to its own tenant.
-- * outbox.events loses its aggregate_id index: nothing on the hot path reads by aggregate (consumers get
--   their batch as an array), and each index costs every event insert (~15 % measured).

alter function core.tg_users__user_registered() security invoker reset all;
alter function core._emit_user_logged_in(uuid[], uuid[]) security invoker reset all;
alter function core.tg_sessions__user_logged_in() security invoker reset all;
alter function core.tg_users__user_logged_in() security invoker reset all;
alter function outbox.tg_events__fan_out() security invoker reset all;

grant insert on outbox.deliveries to rustok_app;
grant select on outbox.consumers to rustok_app;
grant select, update (idle, changed_at) on outbox.doorbell to rustok_app;

drop index outbox.events_aggregate_idx;
