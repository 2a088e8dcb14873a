-- content/media.sql: media items.

-- ---------------------------------------------------------------- content.media

comment on table content.media is 'Media files of a tenant (stored object key and/or external URL, type, size, dimensions, alt text). Module: content.';
comment on column content.media.storage_key is
    'Where the bytes are, unique per tenant: file:<path under the media root> (uploads, RUSTOK_MEDIA_ROOT) or db:<id> '
    '(uploads before files, bytes in content.media_data until `rustok media move-to-disk`). storage_key or url (or both) is required.';
comment on column content.media.sha256 is
    'Hex SHA-256 of the file (the ETag of GET /media/<id>); null for db: rows, whose content.media_data.sha256 holds it.';
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
comment on column content.media_data.data is
    'The file as uploaded before media moved to disk (size limit: RUSTOK_MEDIA_MAX_BYTES); `rustok media move-to-disk` moves it.';
comment on column content.media_data.sha256 is 'Hex SHA-256 of data: the ETag of GET /media/<id>.';
comment on column content.media_data.created_at is 'When the file was uploaded.';

select core.enable_tenant_rls('content.media_data');
grant select, insert, delete on content.media_data to rustok_app;

-- ---------------------------------------------------------------- content.node_images

comment on table content.node_images is 'A page''s or post''s images (uploaded media, content.media), in order of position.';
comment on column content.node_images.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column content.node_images.node_id is 'The page or post (content.nodes, same tenant).';
comment on column content.node_images.media_id is 'The image (content.media, same tenant).';
comment on column content.node_images.position is 'Order of the images, 0 first (the main image).';
comment on column content.node_images.created_at is 'When the image was attached.';

select core.enable_tenant_rls('content.node_images');
select core.allow_analyst_read('content.node_images');
grant select, insert, update, delete on content.node_images to rustok_app;

-- ---------------------------------------------------------------- API

create or replace function content.create_media(p_id uuid, p_storage_key text, p_mime_type text, p_size bigint,
                                                p_sha256 text, p_width integer, p_height integer,
                                                p_alt_text text default null) returns uuid
    language plpgsql volatile
as $$
begin
    if not (core.has_permission('catalog:write') or core.has_permission('content:write_own')) then
        raise exception 'permission catalog:write or content:write_own is required (role %)',
            coalesce(core.current_user_role(), 'none') using errcode = 'insufficient_privilege';
    end if;
    if p_storage_key is null or p_storage_key !~ '^file:[0-9a-f-]{36}/[0-9a-f]{2}/[0-9a-f-]{36}\.[a-z0-9]+$' then
        raise exception 'content.media.storage_key: expected file:<tenant>/<xx>/<id>.<ext> (got %)', p_storage_key
            using errcode = 'invalid_parameter_value', column = 'storage_key';
    end if;
    insert into content.media (tenant_id, id, storage_key, mime_type, size, sha256, width, height, alt_text, uploaded_by)
    values (core.current_tenant_id(), p_id, p_storage_key, p_mime_type, p_size, p_sha256, p_width, p_height,
            nullif(btrim(p_alt_text), ''), core.current_user_id());
    return p_id;
end
$$;
comment on function content.create_media(uuid, text, text, bigint, text, integer, integer, text) is
    'Record an uploaded file of the current tenant that the application has already written under the media root '
    '(storage_key file:<path>; the application checks size and type first and removes the file if this fails). '
    'Permission catalog:write or content:write_own. Returns the id. (GraphQL uploadMedia.)';
revoke execute on function content.create_media(uuid, text, text, bigint, text, integer, integer, text) from public;
grant execute on function content.create_media(uuid, text, text, bigint, text, integer, integer, text) to rustok_app;

create or replace function content.media_file(p_tenant_slug text, p_media_id uuid)
    returns table (mime_type text, sha256 text, size bigint, storage_key text, data bytea)
    language sql stable security definer
    set search_path = pg_catalog, pg_temp
as $$
    select m.mime_type, coalesce(m.sha256, d.sha256), coalesce(m.size, octet_length(d.data)), m.storage_key,
           case when m.storage_key like 'db:%' then d.data end
    from core.tenants t
    join content.media m on m.tenant_id = t.id
    left join content.media_data d on d.tenant_id = m.tenant_id and d.media_id = m.id
    where t.slug = p_tenant_slug and t.is_active and m.id = p_media_id
      and (m.storage_key like 'file:%' or d.media_id is not null)
$$;
comment on function content.media_file(text, uuid) is
    'An uploaded file of the tenant with this slug (GET /media/<id>, /t/<slug>/media/<id>; another tenant''s id '
    'answers no row): its type, SHA-256, size, storage key and, for rows still stored in the database (db:), the bytes.';
revoke all on function content.media_file(text, uuid) from public;
grant execute on function content.media_file(text, uuid) to rustok_app;

create or replace function content._check_image_ids(p_media_ids uuid[]) returns void
    language plpgsql stable
as $$
declare
    v_missing uuid;
begin
    if cardinality(p_media_ids) > 50 then
        raise exception 'media_ids: at most 50 images (got %)', cardinality(p_media_ids) using errcode = 'check_violation';
    end if;
    select i into v_missing from unnest(coalesce(p_media_ids, '{}')) as i
    where not exists (select from content.media m where m.tenant_id = core.current_tenant_id() and m.id = i
                      and m.mime_type like 'image/%') limit 1;
    if v_missing is not null then
        raise exception 'media_ids: no image %', v_missing using errcode = 'no_data_found';
    end if;
    if cardinality(p_media_ids) <> (select count(distinct i) from unnest(p_media_ids) as i) then
        raise exception 'media_ids: an image is given twice' using errcode = 'invalid_parameter_value';
    end if;
end
$$;
comment on function content._check_image_ids(uuid[]) is
    'Internal: the media ids a set of images is given (commerce.set_product_images, content.set_node_images) are '
    'images of the current tenant, each once, at most 50; else no_data_found / invalid_parameter_value / check_violation '
    'naming media_ids.';
revoke execute on function content._check_image_ids(uuid[]) from public;
grant execute on function content._check_image_ids(uuid[]) to rustok_app;

create or replace function content.set_node_images(p_node_id uuid, p_media_ids uuid[]) returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
begin
    perform content._require_edit(array[p_node_id]);
    if not exists (select from content.nodes n where n.tenant_id = v_tenant and n.id = p_node_id) then
        raise exception 'node_id: no page or post %', p_node_id using errcode = 'no_data_found';
    end if;
    perform content._check_image_ids(p_media_ids);
    delete from content.node_images ni where ni.tenant_id = v_tenant and ni.node_id = p_node_id;
    insert into content.node_images (tenant_id, node_id, media_id, position)
    select v_tenant, p_node_id, i, (o - 1)::int from unnest(coalesce(p_media_ids, '{}')) with ordinality as x (i, o);
    return p_node_id;
end
$$;
comment on function content.set_node_images(uuid, uuid[]) is
    'Set a page''s or post''s images (uploaded media of the current tenant, image types), in this order (replaces '
    'them). Its author (content:write_own) or content:write_all. (GraphQL setNodeImages.)';
revoke execute on function content.set_node_images(uuid, uuid[]) from public;
grant execute on function content.set_node_images(uuid, uuid[]) to rustok_app;
