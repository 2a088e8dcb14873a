-- depends: 0183_outbox_staff_connections
-- index: the admin's verifyIndex became a keyset connection (index.page_verify and index.count_verify,
-- sql/code/index/api.sql) instead of a capped list.

drop function if exists index.tenant_verify(integer);
