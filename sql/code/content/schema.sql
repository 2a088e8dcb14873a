-- content/schema.sql: the content schema: comment and usage grants.

comment on schema content is
    'RusToK content and blog write model: nodes (page, post, comment), bodies, categories, tags, taggables, SEO meta, media, revisions.';
grant usage on schema content to rustok_app;
