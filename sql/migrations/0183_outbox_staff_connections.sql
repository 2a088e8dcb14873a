-- depends: 0182_core_staff_connections
-- outbox: the admin's dead letters became a keyset connection (outbox.page_dead_letters and
-- outbox.count_dead_letters, sql/code/outbox/api.sql) instead of a capped list.

drop function if exists outbox.tenant_dead_letters(integer);
