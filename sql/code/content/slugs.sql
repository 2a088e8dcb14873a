-- content/slugs.sql: slug generation and validation.

-- ================================================================ helpers
create or replace function content.slugify(p_text text) returns text
    language sql stable strict parallel safe
as $$
    -- unaccent, lowercase (Unicode-aware via the builtin C.UTF-8 collation), every run of
    -- non-letters/digits to one dash, trimmed, at most 200 characters; null when nothing is left.
    -- Non-latin letters (Cyrillic, Greek, CJK, ...) are kept.
    select nullif(
        btrim(left(
            regexp_replace(
                lower(public.unaccent('public.unaccent'::regdictionary, p_text) collate "pg_c_utf8"),
                '[^[:alnum:]]+', '-', 'g'),
            200), '-'),
        '')
$$;
comment on function content.slugify(text) is
    'A URL slug from free text: unaccent, lowercase, runs of non-alphanumerics to "-", trimmed, max 200 chars. Keeps non-latin letters ("Привет, Мир!" -> "привет-мир"). Null when nothing remains.';
grant execute on function content.slugify(text) to rustok_app;

create or replace function content.slug_is_valid(p_slug text) returns boolean
    language sql immutable strict parallel safe
as $$
    select length(p_slug) <= 255
       and (p_slug collate "pg_c_utf8") ~ '^[[:alnum:]]+(-[[:alnum:]]+)*$'
       and p_slug = lower(p_slug collate "pg_c_utf8")
$$;
comment on function content.slug_is_valid(text) is
    'Whether a slug is well-formed: lowercase letters (any script) and digits in groups separated by single dashes, at most 255 characters.';
grant execute on function content.slug_is_valid(text) to rustok_app;

create or replace function content._free_slug(p_base text, p_taken text[]) returns text
    language sql immutable parallel safe
as $$
    -- the base itself when free, else the first free base-2, base-3, ...
    select c.s
    from (select p_base as s, 1 as n
          union all
          select p_base || '-' || g, g from generate_series(2, coalesce(cardinality(p_taken), 0) + 2) as g) as c
    where not (c.s = any (coalesce(p_taken, '{}')))
    order by c.n
    limit 1
$$;
comment on function content._free_slug(text, text[]) is
    'Internal: the first of base, base-2, base-3, ... that is not in the taken list.';
grant execute on function content._free_slug(text,text[]) to rustok_app;

create or replace function content._slug(p_table regclass, p_what text, p_tenant_id uuid, p_id uuid, p_slug text,
                                         p_source text, p_source_name text, p_kind text default null) returns text
    language plpgsql volatile
as $$
declare
    v_base  text;
    v_taken text[];
    -- the rows a slug must be unique among: the tenant's other rows of this table (of this kind, for nodes)
    v_scope constant text := 'tenant_id = $1 and id <> $2' || case when p_kind is not null then ' and kind = $3' else '' end;
begin
    if p_slug is null then
        v_base := content.slugify(p_source);
        if v_base is null then
            raise exception '%.slug: give a slug, or a % with letters or digits to generate it from', p_table, p_source_name
                using errcode = 'check_violation', column = 'slug';
        end if;
        -- concurrent inserts generating from the same base wait for each other instead of colliding
        perform pg_advisory_xact_lock(hashtextextended(
            concat_ws(':', p_table::text, p_tenant_id::text, p_kind, v_base), 0));
        execute format('select array_agg(slug) from %s where %s and (slug = $4 or slug like $4 || ''-%%'')', p_table, v_scope)
            into v_taken using p_tenant_id, p_id, p_kind, v_base;
        return content._free_slug(v_base, v_taken);
    end if;
    if not content.slug_is_valid(p_slug) then
        raise exception '%.slug: "%" is not a valid slug (lowercase letters and digits separated by single dashes, at most 255 characters)', p_table, p_slug
            using errcode = 'check_violation', column = 'slug';
    end if;
    execute format('select array_agg(slug) from %s where %s and slug = $4', p_table, v_scope)
        into v_taken using p_tenant_id, p_id, p_kind, p_slug;
    if v_taken is not null then
        raise exception '%.slug: "%" is already used by another % of this tenant', p_table, p_slug, p_what
            using errcode = 'unique_violation', column = 'slug';
    end if;
    return p_slug;
end
$$;
comment on function content._slug(regclass, text, uuid, uuid, text, text, text, text) is
    'Internal, the one slug rule of content (nodes, categories, tags): a given slug must be well-formed and unused among '
    'the tenant''s rows of p_table (of kind p_kind when given); a missing one is generated from p_source (base, base-2, ...). '
    'Returns the slug; 23514 / 23505 naming the column otherwise.';
grant execute on function content._slug(regclass,text,uuid,uuid,text,text,text,text) to rustok_app;
