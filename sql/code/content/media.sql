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
comment on column content.media.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column content.media.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column content.media.uploaded_by is
    'The user who uploaded the file (core.users, same tenant); null when unknown or deleted.';
comment on column content.media.metadata is
    'Free-form JSON object for integrations and clients; the database does not interpret it.';
comment on column content.media.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column content.media.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

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
