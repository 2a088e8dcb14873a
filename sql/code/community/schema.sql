-- community/schema.sql: the community schema: comment and usage grants.

comment on schema community is 'RusToK community module: reactions on content nodes, follows and per-user reputation.';
grant usage on schema community to rustok_app;
