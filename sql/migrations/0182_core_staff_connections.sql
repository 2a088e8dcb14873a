-- depends: 0181_outbox_dead_letters_order_index
-- core: the platform operator's tenant list became a keyset connection (core.page_platform_tenants,
-- core.count_platform_tenants, core.platform_tenant: sql/code/core/platform.sql), and a mailed link now goes to
-- the tenant's own host name when it has one, so core.prepare_account_mail returns it (a new return type: drop
-- it here, the code tree recreates it).

drop function if exists core.platform_tenants(text, integer);
drop function if exists core.prepare_account_mail(uuid, uuid, text);
