-- depends: 0059_commerce_order_updated_events
-- core: ops.maintain() purges expired sessions every run (core.purge_sessions); find them by index.

create index sessions_expires_idx on core.sessions (expires_at);
