-- depends: 0172_core_import_runs
-- content: uploaded media are files under the media root (RUSTOK_MEDIA_ROOT, default <data dir>/media), named by
-- their id; the row keeps the metadata, the file's path (storage_key 'file:<tenant>/<xx>/<id>.<ext>'), its
-- SHA-256, size and type. Rows uploaded before (storage_key 'db:<id>', bytes in content.media_data) keep being
-- served from the database until `rustok media move-to-disk` moves them. The upload and serve functions change
-- their arguments: drop the old ones (sql/code/content/media.sql creates the new ones).

alter table content.media add column sha256 text;
alter table content.media add constraint media_sha256_check check (sha256 ~ '^[0-9a-f]{64}$');

drop function if exists content.upload_media(text, bytea, text, integer, integer, text);
drop function if exists content.media_file(uuid);
