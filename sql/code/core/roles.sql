-- core/roles.sql: database-wide privileges and the settings of the application and analyst roles.
-- The roles themselves are cluster-wide and are created by migration 0001 (only when missing).

-- The migration owner may switch to the app role (the API pool does `set role rustok_app`).
grant rustok_app to current_user;
grant rustok_analyst to current_user;

-- Nothing of ours lives in public; the app and analysts may not create objects anywhere.
revoke create on schema public from public;
do $db$ begin execute format('revoke create, temporary on database %I from public', current_database()); end $db$;
do $db$ begin execute format('grant connect, temporary on database %I to rustok_app, rustok_analyst', current_database()); end $db$;

-- A stuck transaction of the API must not hold back vacuum of the queue tables.
alter role rustok_app set idle_in_transaction_session_timeout = '60s';
alter role rustok_analyst set default_transaction_read_only = on;
alter role rustok_analyst set statement_timeout = '5min';
