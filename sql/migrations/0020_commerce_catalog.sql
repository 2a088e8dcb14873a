-- depends: 0001_core 0030_outbox_events
-- Commerce catalog (manifest 5.3, Medusa's model): currencies, products, variants, options,
-- option values, variant options, commerce categories (own hierarchy) and product categories.
-- Events for these tables are wired in 0024_commerce_events.sql.

create schema commerce;
comment on schema commerce is
    'RusToK commerce write model: catalog, prices, inventory and orders (3NF, RLS per tenant, events via outbox).';
grant usage on schema commerce to rustok_app, rustok_analyst;

-- ---------------------------------------------------------------- currencies (global reference data)
create table commerce.currencies (
    code        text primary key
                constraint currencies_code_check check (code ~ '^[A-Z]{3}$'),
    minor_units smallint not null
                constraint currencies_minor_units_check check (minor_units between 0 and 4),
    name        text not null constraint currencies_name_check check (btrim(name) <> '' and length(name) <= 255),
    numeric_code text constraint currencies_numeric_code_check check (numeric_code ~ '^[0-9]{3}$')
);
comment on table commerce.currencies is
    'ISO 4217 currencies (global reference data). Prices and orders store amounts as BIGINT minor units of one of these.';
comment on column commerce.currencies.minor_units is
    'Digits after the decimal point (EUR 2, JPY 0, BHD 3): an amount of 1999 in EUR is 19.99.';

insert into commerce.currencies (code, minor_units, name, numeric_code) values
    ('AED', 2, 'UAE Dirham', '784'),
    ('ARS', 2, 'Argentine Peso', '032'),
    ('AUD', 2, 'Australian Dollar', '036'),
    ('BGN', 2, 'Bulgarian Lev', '975'),
    ('BHD', 3, 'Bahraini Dinar', '048'),
    ('BRL', 2, 'Brazilian Real', '986'),
    ('CAD', 2, 'Canadian Dollar', '124'),
    ('CHF', 2, 'Swiss Franc', '756'),
    ('CLP', 0, 'Chilean Peso', '152'),
    ('CNY', 2, 'Yuan Renminbi', '156'),
    ('COP', 2, 'Colombian Peso', '170'),
    ('CZK', 2, 'Czech Koruna', '203'),
    ('DKK', 2, 'Danish Krone', '208'),
    ('EGP', 2, 'Egyptian Pound', '818'),
    ('EUR', 2, 'Euro', '978'),
    ('GBP', 2, 'Pound Sterling', '826'),
    ('HKD', 2, 'Hong Kong Dollar', '344'),
    ('HUF', 2, 'Forint', '348'),
    ('IDR', 2, 'Rupiah', '360'),
    ('ILS', 2, 'New Israeli Sheqel', '376'),
    ('INR', 2, 'Indian Rupee', '356'),
    ('ISK', 0, 'Iceland Krona', '352'),
    ('JOD', 3, 'Jordanian Dinar', '400'),
    ('JPY', 0, 'Yen', '392'),
    ('KRW', 0, 'Won', '410'),
    ('KWD', 3, 'Kuwaiti Dinar', '414'),
    ('KZT', 2, 'Tenge', '398'),
    ('MXN', 2, 'Mexican Peso', '484'),
    ('MYR', 2, 'Malaysian Ringgit', '458'),
    ('NGN', 2, 'Naira', '566'),
    ('NOK', 2, 'Norwegian Krone', '578'),
    ('NZD', 2, 'New Zealand Dollar', '554'),
    ('OMR', 3, 'Rial Omani', '512'),
    ('PHP', 2, 'Philippine Peso', '608'),
    ('PKR', 2, 'Pakistan Rupee', '586'),
    ('PLN', 2, 'Zloty', '985'),
    ('RON', 2, 'Romanian Leu', '946'),
    ('RSD', 2, 'Serbian Dinar', '941'),
    ('RUB', 2, 'Russian Ruble', '643'),
    ('SAR', 2, 'Saudi Riyal', '682'),
    ('SEK', 2, 'Swedish Krona', '752'),
    ('SGD', 2, 'Singapore Dollar', '702'),
    ('THB', 2, 'Baht', '764'),
    ('TND', 3, 'Tunisian Dinar', '788'),
    ('TRY', 2, 'Turkish Lira', '949'),
    ('TWD', 2, 'New Taiwan Dollar', '901'),
    ('UAH', 2, 'Hryvnia', '980'),
    ('USD', 2, 'US Dollar', '840'),
    ('VND', 0, 'Dong', '704'),
    ('ZAR', 2, 'Rand', '710');

grant select on commerce.currencies to rustok_app, rustok_analyst;

-- ---------------------------------------------------------------- products
create table commerce.products (
    tenant_id    uuid not null references core.tenants (id) on delete cascade,
    id           uuid not null default core.new_id(),
    title        text not null constraint products_title_check check (btrim(title) <> '' and length(title) <= 255),
    subtitle     text constraint products_subtitle_check check (length(subtitle) <= 255),
    handle       text not null
                 constraint products_handle_check check (handle ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(handle) <= 255),
    description  text,
    status       text not null default 'draft'
                 constraint products_status_check check (status in ('draft', 'proposed', 'published', 'rejected')),
    discountable boolean not null default true,
    metadata     jsonb not null default '{}' constraint products_metadata_check check (jsonb_typeof(metadata) = 'object'),
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint products_handle_key unique (tenant_id, handle)
);
create index products_tenant_status_idx on commerce.products (tenant_id, status);
comment on table commerce.products is
    'Products (Medusa-style). A product sells through its variants; only published products can be ordered.';
comment on column commerce.products.handle is 'URL handle, unique per tenant: lowercase letters, digits and single dashes.';
comment on column commerce.products.status is 'draft | proposed | published | rejected';
comment on column commerce.products.discountable is 'Whether order discounts may apply to this product''s lines.';
create trigger _100_timestamps before insert or update on commerce.products
    for each row execute function core.tg__timestamps();

-- ---------------------------------------------------------------- variants
create table commerce.variants (
    tenant_id        uuid not null references core.tenants (id) on delete cascade,
    id               uuid not null default core.new_id(),
    product_id       uuid not null,
    title            text not null constraint variants_title_check check (btrim(title) <> '' and length(title) <= 255),
    sku              text constraint variants_sku_check check (btrim(sku) <> '' and length(sku) <= 64),
    barcode          text constraint variants_barcode_check check (btrim(barcode) <> '' and length(barcode) <= 64),
    manage_inventory boolean not null default true,
    allow_backorder  boolean not null default false,
    weight           integer constraint variants_weight_check check (weight >= 0),
    length           integer constraint variants_length_check check (length >= 0),
    height           integer constraint variants_height_check check (height >= 0),
    width            integer constraint variants_width_check check (width >= 0),
    position         integer not null default 0,
    metadata         jsonb not null default '{}' constraint variants_metadata_check check (jsonb_typeof(metadata) = 'object'),
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint variants_product_id_fkey foreign key (tenant_id, product_id)
        references commerce.products (tenant_id, id) on delete cascade,
    constraint variants_sku_key unique (tenant_id, sku),
    -- target of the variant_options foreign key (a variant's options belong to its product)
    constraint variants_product_variant_key unique (tenant_id, product_id, id)
);
create index variants_product_idx on commerce.variants (tenant_id, product_id, position);
comment on table commerce.variants is
    'Sellable variants of a product (a size/colour combination). SKU is unique per tenant.';
comment on column commerce.variants.manage_inventory is 'When true, orders reserve stock of the linked inventory items.';
comment on column commerce.variants.allow_backorder is 'When true, orders may reserve more than is stocked.';
comment on column commerce.variants.weight is 'Weight in grams (dimensions length/height/width in millimetres).';
create trigger _100_timestamps before insert or update on commerce.variants
    for each row execute function core.tg__timestamps();

-- ---------------------------------------------------------------- options
create table commerce.options (
    tenant_id  uuid not null references core.tenants (id) on delete cascade,
    id         uuid not null default core.new_id(),
    product_id uuid not null,
    title      text not null constraint options_title_check check (btrim(title) <> '' and length(title) <= 255),
    position   integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint options_product_id_fkey foreign key (tenant_id, product_id)
        references commerce.products (tenant_id, id) on delete cascade,
    constraint options_title_key unique (tenant_id, product_id, title),
    constraint options_product_option_key unique (tenant_id, product_id, id)
);
comment on table commerce.options is 'Product options (Size, Color, ...); titles unique per product.';
create trigger _100_timestamps before insert or update on commerce.options
    for each row execute function core.tg__timestamps();

create table commerce.option_values (
    tenant_id  uuid not null references core.tenants (id) on delete cascade,
    id         uuid not null default core.new_id(),
    option_id  uuid not null,
    value      text not null constraint option_values_value_check check (btrim(value) <> '' and length(value) <= 255),
    position   integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint option_values_option_id_fkey foreign key (tenant_id, option_id)
        references commerce.options (tenant_id, id) on delete cascade,
    constraint option_values_value_key unique (tenant_id, option_id, value),
    constraint option_values_option_value_key unique (tenant_id, option_id, id)
);
comment on table commerce.option_values is 'Values of a product option (S, M, L); values unique per option.';
create trigger _100_timestamps before insert or update on commerce.option_values
    for each row execute function core.tg__timestamps();

-- A variant picks one value per option of its own product; product_id and option_id are filled
-- from the option value and the variant when omitted, and the composite keys prove they agree.
create table commerce.variant_options (
    tenant_id       uuid not null references core.tenants (id) on delete cascade,
    variant_id      uuid not null,
    option_value_id uuid not null,
    option_id       uuid not null,
    product_id      uuid not null,
    primary key (tenant_id, variant_id, option_value_id),
    constraint variant_options_option_key unique (tenant_id, variant_id, option_id),
    constraint variant_options_variant_id_fkey foreign key (tenant_id, product_id, variant_id)
        references commerce.variants (tenant_id, product_id, id) on delete cascade,
    constraint variant_options_option_value_id_fkey foreign key (tenant_id, option_id, option_value_id)
        references commerce.option_values (tenant_id, option_id, id) on delete cascade,
    constraint variant_options_option_id_fkey foreign key (tenant_id, product_id, option_id)
        references commerce.options (tenant_id, product_id, id) on delete cascade
);
create index variant_options_value_idx on commerce.variant_options (tenant_id, option_value_id);
comment on table commerce.variant_options is
    'The option values of a variant: one value per option, options of the variant''s own product, and no two '
    'variants of a product with the same combination (checked per statement: insert a variant''s values in one statement).';
comment on column commerce.variant_options.option_id is 'Filled from option_value_id when omitted.';
comment on column commerce.variant_options.product_id is 'Filled from variant_id when omitted.';

create function commerce.tg_variant_options__fill() returns trigger
    language plpgsql volatile
as $$
begin
    if new.option_id is null then
        select ov.option_id into new.option_id
        from commerce.option_values ov
        where ov.tenant_id = new.tenant_id and ov.id = new.option_value_id;
        if not found then
            raise exception 'commerce.variant_options.option_value_id: option value % does not exist', new.option_value_id
                using errcode = 'foreign_key_violation', column = 'option_value_id', table = 'variant_options', schema = 'commerce';
        end if;
    end if;
    if new.product_id is null then
        select v.product_id into new.product_id
        from commerce.variants v
        where v.tenant_id = new.tenant_id and v.id = new.variant_id;
        if not found then
            raise exception 'commerce.variant_options.variant_id: variant % does not exist', new.variant_id
                using errcode = 'foreign_key_violation', column = 'variant_id', table = 'variant_options', schema = 'commerce';
        end if;
    end if;
    return new;
end
$$;
comment on function commerce.tg_variant_options__fill() is
    'BEFORE INSERT/UPDATE row trigger on commerce.variant_options: fills option_id and product_id from the referenced rows.';
create trigger _050_fill before insert or update on commerce.variant_options
    for each row execute function commerce.tg_variant_options__fill();

create function commerce.tg_variant_options__unique_combination() returns trigger
    language plpgsql volatile
as $$
declare
    v_dup record;
begin
    -- Serialize combination checks per product (two sessions could otherwise both pass).
    perform 1
    from commerce.products p
    where (p.tenant_id, p.id) in (select distinct n.tenant_id, n.product_id from new_rows n)
    order by p.tenant_id, p.id
    for no key update;

    with touched as (
        select distinct n.tenant_id, n.product_id, n.variant_id from new_rows n
    ), combos as (
        select vo.tenant_id, vo.product_id, vo.variant_id,
               array_agg(vo.option_value_id order by vo.option_value_id) as value_ids
        from commerce.variant_options vo
        where (vo.tenant_id, vo.product_id) in (select t.tenant_id, t.product_id from touched t)
        group by vo.tenant_id, vo.product_id, vo.variant_id
    )
    select a.variant_id, b.variant_id as other_variant_id, a.product_id into v_dup
    from combos a
    join touched t on t.tenant_id = a.tenant_id and t.variant_id = a.variant_id
    join combos b on b.tenant_id = a.tenant_id and b.product_id = a.product_id
                 and b.variant_id <> a.variant_id and b.value_ids = a.value_ids
    limit 1;
    if found then
        raise exception 'commerce.variant_options.option_value_id: variant % would have the same option values as variant % of product %',
                v_dup.variant_id, v_dup.other_variant_id, v_dup.product_id
            using errcode = 'unique_violation', column = 'option_value_id', table = 'variant_options', schema = 'commerce';
    end if;
    return null;
end
$$;
comment on function commerce.tg_variant_options__unique_combination() is
    'AFTER INSERT/UPDATE statement trigger on commerce.variant_options: no two variants of a product share a combination of option values (23505).';
create trigger _200_unique_combination_ins after insert on commerce.variant_options
    referencing new table as new_rows
    for each statement execute function commerce.tg_variant_options__unique_combination();
create trigger _200_unique_combination_upd after update on commerce.variant_options
    referencing new table as new_rows
    for each statement execute function commerce.tg_variant_options__unique_combination();

-- ---------------------------------------------------------------- categories
create table commerce.categories (
    tenant_id   uuid not null references core.tenants (id) on delete cascade,
    id          uuid not null default core.new_id(),
    parent_id   uuid,
    name        text not null constraint categories_name_check check (btrim(name) <> '' and length(name) <= 255),
    handle      text not null
                constraint categories_handle_check check (handle ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(handle) <= 255),
    description text,
    is_active   boolean not null default true,
    is_internal boolean not null default false,
    rank        integer not null default 0 constraint categories_rank_check check (rank >= 0),
    metadata    jsonb not null default '{}' constraint categories_metadata_check check (jsonb_typeof(metadata) = 'object'),
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint categories_parent_id_fkey foreign key (tenant_id, parent_id)
        references commerce.categories (tenant_id, id) on delete set null (parent_id),
    constraint categories_handle_key unique (tenant_id, handle),
    constraint categories_parent_id_check check (parent_id <> id)
);
create index categories_parent_idx on commerce.categories (tenant_id, parent_id, rank);
comment on table commerce.categories is
    'Commerce categories with their own hierarchy (parent_id, never a cycle), ordered by rank among siblings.';
comment on column commerce.categories.is_internal is 'Internal categories are hidden from storefronts.';
comment on column commerce.categories.rank is 'Sort position among siblings (0 first).';
create trigger _100_timestamps before insert or update on commerce.categories
    for each row execute function core.tg__timestamps();

create function commerce.tg_categories__no_cycle() returns trigger
    language plpgsql volatile
as $$
declare
    v_cycle record;
begin
    if not exists (select 1 from new_rows n where n.parent_id is not null) then
        return null;
    end if;
    -- One tree move at a time per tenant, so two concurrent moves cannot close a loop together.
    perform pg_advisory_xact_lock(hashtext('commerce.categories'), hashtext(t.tenant_id::text))
    from (select distinct n.tenant_id from new_rows n where n.parent_id is not null order by 1) t;

    with recursive walk (tenant_id, start_id, cur_id, depth) as (
        select n.tenant_id, n.id, n.parent_id, 1
        from new_rows n
        where n.parent_id is not null
        union all
        select w.tenant_id, w.start_id, c.parent_id, w.depth + 1
        from walk w
        join commerce.categories c on c.tenant_id = w.tenant_id and c.id = w.cur_id
        where w.cur_id <> w.start_id and c.parent_id is not null and w.depth < 10000
    )
    select w.start_id, n.parent_id into v_cycle
    from walk w join new_rows n on n.tenant_id = w.tenant_id and n.id = w.start_id
    where w.cur_id = w.start_id
    limit 1;
    if found then
        raise exception 'commerce.categories.parent_id: putting category % under % would create a cycle',
                v_cycle.start_id, v_cycle.parent_id
            using errcode = 'check_violation', column = 'parent_id', table = 'categories', schema = 'commerce';
    end if;
    return null;
end
$$;
comment on function commerce.tg_categories__no_cycle() is
    'AFTER INSERT/UPDATE statement trigger on commerce.categories: refuses a parent_id that makes the hierarchy cyclic (23514).';
create trigger _200_no_cycle_ins after insert on commerce.categories
    referencing new table as new_rows
    for each statement execute function commerce.tg_categories__no_cycle();
create trigger _200_no_cycle_upd after update on commerce.categories
    referencing new table as new_rows
    for each statement execute function commerce.tg_categories__no_cycle();

create table commerce.product_categories (
    tenant_id   uuid not null references core.tenants (id) on delete cascade,
    product_id  uuid not null,
    category_id uuid not null,
    created_at  timestamptz not null default now(),
    primary key (tenant_id, product_id, category_id),
    constraint product_categories_product_id_fkey foreign key (tenant_id, product_id)
        references commerce.products (tenant_id, id) on delete cascade,
    constraint product_categories_category_id_fkey foreign key (tenant_id, category_id)
        references commerce.categories (tenant_id, id) on delete cascade
);
create index product_categories_category_idx on commerce.product_categories (tenant_id, category_id);
comment on table commerce.product_categories is 'Which commerce categories a product is in (many to many).';

-- ---------------------------------------------------------------- privileges and RLS
grant select, insert, update, delete on commerce.products, commerce.variants, commerce.options,
    commerce.option_values, commerce.variant_options, commerce.categories, commerce.product_categories
    to rustok_app;
grant select on commerce.products, commerce.variants, commerce.options, commerce.option_values,
    commerce.variant_options, commerce.categories, commerce.product_categories
    to rustok_analyst;

do $rls$
declare
    v_table text;
begin
    foreach v_table in array array['commerce.products', 'commerce.variants', 'commerce.options',
        'commerce.option_values', 'commerce.variant_options', 'commerce.categories',
        'commerce.product_categories'] loop
        execute format('alter table %s enable row level security', v_table);
        execute format('create policy tenant_isolation on %s to rustok_app
                            using (tenant_id = core.current_tenant_id())
                            with check (tenant_id = core.current_tenant_id())', v_table);
        execute format('create policy analyst_read on %s for select to rustok_analyst using (true)', v_table);
    end loop;
end
$rls$;
