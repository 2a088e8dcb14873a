-- content/media.sql: media items.

-- ---------------------------------------------------------------- content.media

comment on table content.media is 'Media files of a tenant (stored object key and/or external URL, type, size, dimensions, alt text). Module: content.';
comment on column content.media.storage_key is 'Key in the object store, unique per tenant. storage_key or url (or both) is required.';
comment on column content.media.url is 'Public http(s) URL.';
comment on column content.media.mime_type is 'MIME type, e.g. image/webp.';
comment on column content.media.size is 'Size in bytes.';
comment on column content.media.width is 'Width in pixels (images, video).';
comment on column content.media.height is 'Height in pixels (images, video).';
comment on column content.media.alt_text is 'Alternative text for accessibility.';

select core.enable_tenant_rls('content.media');
grant select, insert, update, delete on content.media to rustok_app;

create or replace trigger _100_timestamps before insert or update on content.media
    for each row
    execute function core.tg__timestamps();

create or replace trigger _300_assert_module_ins after insert on content.media
    referencing new table as new_rows for each statement
    execute function content.tg__assert_module('content.media', 'content');

create or replace trigger _300_assert_module_upd after update on content.media
    referencing new table as new_rows for each statement
    execute function content.tg__assert_module('content.media', 'content');
