-- depends: 0172_core_import_runs
-- core: the admin's users connection (GraphQL users, core.page_users) pages by (staff before customers, email,
-- id) with keyset cursors; this index serves that order in both directions, so a page costs its rows, not the
-- tenant's whole account list. Not concurrently: a `-- transactional: false` migration would commit the
-- migrations before it ahead of the code tree, and an upgrade is one transaction (tests/migrations); building it
-- holds off sign-ups for the time one pass over core.users takes.

create index users_staff_order_idx on core.users (tenant_id, (role = 'customer'), lower(email), id);
