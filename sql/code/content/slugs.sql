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
