-- commerce/products.sql: currencies, products and variants.

create or replace function commerce.tg_products__cleanup_content() returns trigger
    language plpgsql volatile
as $$
begin
    delete from content.taggables x
    using old_rows o where x.tenant_id = o.tenant_id and x.target_type = 'product' and x.target_id = o.id;
    delete from content.meta m
    using old_rows o where m.tenant_id = o.tenant_id and m.target_type = 'product' and m.target_id = o.id;
    return null;
end
$$;
comment on function commerce.tg_products__cleanup_content() is
    'AFTER DELETE statement trigger on commerce.products: removes the deleted products'' tags (content.taggables) and SEO meta (content.meta).';

-- ---------------------------------------------------------------- commerce.currencies

comment on table commerce.currencies is
    'ISO 4217 currencies (global reference data). Prices and orders store amounts as BIGINT minor units of one of these.';
comment on column commerce.currencies.minor_units is
    'Digits after the decimal point (EUR 2, JPY 0, BHD 3): an amount of 1999 in EUR is 19.99.';
comment on column commerce.currencies.code is 'ISO 4217 alphabetic code, e.g. EUR.';
comment on column commerce.currencies.name is 'English name of the currency.';
comment on column commerce.currencies.numeric_code is 'ISO 4217 numeric code, e.g. 978 (null when none).';

grant select on commerce.currencies to rustok_analyst, rustok_app;

-- ---------------------------------------------------------------- commerce.products

comment on table commerce.products is
    'Products (Medusa-style). A product sells through its variants; only published products can be ordered.';
comment on column commerce.products.handle is 'URL handle, unique per tenant: lowercase letters, digits and single dashes.';
comment on column commerce.products.status is 'draft | proposed | published | rejected';
comment on column commerce.products.discountable is 'Whether order discounts may apply to this product''s lines.';
comment on column commerce.products.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.products.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column commerce.products.title is 'Product title, 1-255 characters.';
comment on column commerce.products.subtitle is 'Short line under the title, at most 255 characters.';
comment on column commerce.products.description is 'Long description (free text) shown on the product page.';
comment on column commerce.products.metadata is
    'Free-form JSON object for integrations and clients; the database does not interpret it.';
comment on column commerce.products.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column commerce.products.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('commerce.products');
select core.allow_analyst_read('commerce.products');
grant select, insert, update, delete on commerce.products to rustok_app;
grant select on commerce.products to rustok_analyst;

create or replace trigger _100_timestamps before insert or update on commerce.products
    for each row
    execute function core.tg__timestamps();

create or replace trigger _800_cleanup_content after delete on commerce.products
    referencing old table as old_rows for each statement
    execute function commerce.tg_products__cleanup_content();

create or replace trigger _800_retire after delete on commerce.products
    referencing old table as old_rows for each statement
    execute function commerce.tg_products__retire();

create or replace trigger _800_unretire_ins after insert on commerce.products
    referencing new table as new_rows for each statement
    execute function commerce.tg_products__unretire();

create or replace trigger _800_unretire_upd after update of handle on commerce.products
    for each row
    when (old.handle is distinct from new.handle)
    execute function commerce.tg_products__unretire();

create or replace trigger _900_events_del after delete on commerce.products
    referencing old table as old_rows for each statement
    execute function commerce.tg_products__events();

create or replace trigger _900_events_ins after insert on commerce.products
    referencing new table as new_rows for each statement
    execute function commerce.tg_products__events();

create or replace trigger _900_events_upd after update on commerce.products
    referencing old table as old_rows new table as new_rows for each statement
    execute function commerce.tg_products__events();

-- ---------------------------------------------------------------- commerce.variants

comment on table commerce.variants is
    'Sellable variants of a product (a size/colour combination). SKU is unique per tenant.';
comment on column commerce.variants.manage_inventory is 'When true, orders reserve stock of the linked inventory items.';
comment on column commerce.variants.allow_backorder is 'When true, orders may reserve more than is stocked.';
comment on column commerce.variants.weight is 'Weight in grams (dimensions length/height/width in millimetres).';
comment on column commerce.variants.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.variants.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column commerce.variants.product_id is 'The product this variant sells (same tenant).';
comment on column commerce.variants.title is 'Variant title, e.g. M / Red (1-255 characters).';
comment on column commerce.variants.sku is 'Stock keeping unit, unique per tenant (at most 64 characters).';
comment on column commerce.variants.barcode is 'EAN / UPC / ISBN barcode (at most 64 characters).';
comment on column commerce.variants.length is 'Length in millimetres.';
comment on column commerce.variants.height is 'Height in millimetres.';
comment on column commerce.variants.width is 'Width in millimetres.';
comment on column commerce.variants."position" is 'Order among the product''s variants (ascending).';
comment on column commerce.variants.metadata is
    'Free-form JSON object for integrations and clients; the database does not interpret it.';
comment on column commerce.variants.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column commerce.variants.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('commerce.variants');
select core.allow_analyst_read('commerce.variants');
grant select, insert, update, delete on commerce.variants to rustok_app;
grant select on commerce.variants to rustok_analyst;

create or replace trigger _100_timestamps before insert or update on commerce.variants
    for each row
    execute function core.tg__timestamps();

create or replace trigger _900_events_del after delete on commerce.variants
    referencing old table as old_rows for each statement
    execute function commerce.tg_variants__events();

create or replace trigger _900_events_ins after insert on commerce.variants
    referencing new table as new_rows for each statement
    execute function commerce.tg_variants__events();

create or replace trigger _900_events_upd after update on commerce.variants
    referencing old table as old_rows new table as new_rows for each statement
    execute function commerce.tg_variants__events();

-- ---------------------------------------------------------------- commerce.product_images

comment on table commerce.product_images is 'A product''s images (uploaded media, content.media), in order of position.';
comment on column commerce.product_images.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.product_images.product_id is 'The product (same tenant).';
comment on column commerce.product_images.media_id is 'The image (content.media, same tenant).';
comment on column commerce.product_images.position is 'Order of the images, 0 first (the main image).';
comment on column commerce.product_images.created_at is 'When the image was attached.';

select core.enable_tenant_rls('commerce.product_images');
select core.allow_analyst_read('commerce.product_images');
grant select, insert, update, delete on commerce.product_images to rustok_app;
