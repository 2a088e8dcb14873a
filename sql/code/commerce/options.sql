-- commerce/options.sql: options, option values and the option values of each variant.

create or replace function commerce.tg_variant_options__fill() returns trigger
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

create or replace function commerce.tg_variant_options__unique_combination() returns trigger
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

-- ---------------------------------------------------------------- commerce.options

comment on table commerce.options is 'Product options (Size, Color, ...); titles unique per product.';
comment on column commerce.options.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.options.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column commerce.options.product_id is 'The product the option belongs to (same tenant).';
comment on column commerce.options.title is 'Option name shown to shoppers, e.g. Size; unique per product.';
comment on column commerce.options."position" is 'Order among the product''s options (ascending).';
comment on column commerce.options.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column commerce.options.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('commerce.options');
select core.allow_analyst_read('commerce.options');
grant select, insert, update, delete on commerce.options to rustok_app;
grant select on commerce.options to rustok_analyst;

create or replace trigger _100_timestamps before insert or update on commerce.options
    for each row
    execute function core.tg__timestamps();

create or replace trigger _900_events_del after delete on commerce.options
    referencing old table as old_rows for each statement
    execute function commerce.tg__product_child_events('product', 'product_id');

create or replace trigger _900_events_ins after insert on commerce.options
    referencing new table as new_rows for each statement
    execute function commerce.tg__product_child_events('product', 'product_id');

create or replace trigger _900_events_upd after update on commerce.options
    referencing old table as old_rows new table as new_rows for each statement
    execute function commerce.tg__product_child_events('product', 'product_id');

-- ---------------------------------------------------------------- commerce.option_values

comment on table commerce.option_values is 'Values of a product option (S, M, L); values unique per option.';
comment on column commerce.option_values.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.option_values.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column commerce.option_values.option_id is 'The product option this value belongs to (same tenant).';
comment on column commerce.option_values.value is 'The value shown to shoppers, e.g. M or Red; unique per option.';
comment on column commerce.option_values."position" is 'Order among the option''s values (ascending).';
comment on column commerce.option_values.created_at is
    'When the row was created (write-once; trigger _100_timestamps).';
comment on column commerce.option_values.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('commerce.option_values');
select core.allow_analyst_read('commerce.option_values');
grant select, insert, update, delete on commerce.option_values to rustok_app;
grant select on commerce.option_values to rustok_analyst;

create or replace trigger _100_timestamps before insert or update on commerce.option_values
    for each row
    execute function core.tg__timestamps();

create or replace trigger _900_events_del after delete on commerce.option_values
    referencing old table as old_rows for each statement
    execute function commerce.tg__product_child_events('option', 'option_id');

create or replace trigger _900_events_ins after insert on commerce.option_values
    referencing new table as new_rows for each statement
    execute function commerce.tg__product_child_events('option', 'option_id');

create or replace trigger _900_events_upd after update on commerce.option_values
    referencing old table as old_rows new table as new_rows for each statement
    execute function commerce.tg__product_child_events('option', 'option_id');

-- ---------------------------------------------------------------- commerce.variant_options

comment on table commerce.variant_options is
    'The option values of a variant: one value per option, options of the variant''s own product, and no two '
    'variants of a product with the same combination (checked per statement: insert a variant''s values in one statement).';
comment on column commerce.variant_options.option_id is 'Filled from option_value_id when omitted.';
comment on column commerce.variant_options.product_id is 'Filled from variant_id when omitted.';
comment on column commerce.variant_options.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.variant_options.variant_id is 'The variant described (same tenant).';
comment on column commerce.variant_options.option_value_id is 'The option value the variant has for option_id.';

select core.enable_tenant_rls('commerce.variant_options');
select core.allow_analyst_read('commerce.variant_options');
grant select, insert, update, delete on commerce.variant_options to rustok_app;
grant select on commerce.variant_options to rustok_analyst;

create or replace trigger _050_fill before insert or update on commerce.variant_options
    for each row
    execute function commerce.tg_variant_options__fill();

create or replace trigger _200_unique_combination_ins after insert on commerce.variant_options
    referencing new table as new_rows for each statement
    execute function commerce.tg_variant_options__unique_combination();

create or replace trigger _200_unique_combination_upd after update on commerce.variant_options
    referencing new table as new_rows for each statement
    execute function commerce.tg_variant_options__unique_combination();

create or replace trigger _900_events_del after delete on commerce.variant_options
    referencing old table as old_rows for each statement
    execute function commerce.tg__product_child_events('product', 'product_id');

create or replace trigger _900_events_ins after insert on commerce.variant_options
    referencing new table as new_rows for each statement
    execute function commerce.tg__product_child_events('product', 'product_id');

create or replace trigger _900_events_upd after update on commerce.variant_options
    referencing old table as old_rows new table as new_rows for each statement
    execute function commerce.tg__product_child_events('product', 'product_id');
