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

-- ---------------------------------------------------------------- content.media_data

comment on table content.media_data is
    'The bytes of an uploaded media file (POST /media), one row per content.media row that was uploaded (not a URL). Module: content.';
comment on column content.media_data.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column content.media_data.media_id is 'The media row (content.media, same tenant) these bytes belong to.';
comment on column content.media_data.data is 'The file as uploaded (size limit: RUSTOK_MEDIA_MAX_BYTES).';
comment on column content.media_data.sha256 is 'Hex SHA-256 of data: the ETag of GET /media/<id>.';
comment on column content.media_data.created_at is 'When the file was uploaded.';

select core.enable_tenant_rls('content.media_data');
grant select, insert, delete on content.media_data to rustok_app;

-- ---------------------------------------------------------------- API

create or replace function content.upload_media(p_mime_type text, p_data bytea, p_sha256 text, p_width integer,
                                                p_height integer, p_alt_text text default null) returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
    v_id     uuid := core.new_id();
begin
    if not (core.has_permission('catalog:write') or core.has_permission('content:write_own')) then
        raise exception 'permission catalog:write or content:write_own is required (role %)',
            coalesce(core.current_user_role(), 'none') using errcode = 'insufficient_privilege';
    end if;
    insert into content.media (tenant_id, id, storage_key, mime_type, size, width, height, alt_text, uploaded_by)
    values (v_tenant, v_id, 'db:' || v_id, p_mime_type, octet_length(p_data), p_width, p_height, p_alt_text,
            core.current_user_id());
    insert into content.media_data (tenant_id, media_id, data, sha256) values (v_tenant, v_id, p_data, p_sha256);
    return v_id;
end
$$;
comment on function content.upload_media(text, bytea, text, integer, integer, text) is
    'Store an uploaded file of the current tenant (content.media row with storage_key db:<id>, bytes in '
    'content.media_data); the application checks size and type first. Permission catalog:write or content:write_own. '
    'Returns the id. (POST /media.)';
revoke execute on function content.upload_media(text, bytea, text, integer, integer, text) from public;
grant execute on function content.upload_media(text, bytea, text, integer, integer, text) to rustok_app;

create or replace function content.media_file(p_media_id uuid)
    returns table (mime_type text, sha256 text, data bytea, updated_at timestamptz)
    language sql stable security definer
    set search_path = pg_catalog, pg_temp
as $$
    select m.mime_type, d.sha256, d.data, m.updated_at
    from content.media m
    join content.media_data d on d.tenant_id = m.tenant_id and d.media_id = m.id
    where m.id = p_media_id
$$;
comment on function content.media_file(uuid) is
    'An uploaded file by its id, whatever the tenant (GET /media/<id> serves files publicly by their unguessable id, '
    'as <img> tags send no tenant header): its type, SHA-256 and bytes.';
revoke all on function content.media_file(uuid) from public;
grant execute on function content.media_file(uuid) to rustok_app;
