-- Keyset paging helpers of the staff connections outside the read model (core.page_users, commerce.page_price_lists,
-- outbox.page_dead_letters, index.page_verify, core.page_platform_tenants). A cursor is the row's position in its
-- list's order, {"s": sort, "k": [key, ..., id]} (rustok.graphql.paging encodes it opaquely for clients); the
-- read model's pages check theirs with index._cursor_key.

create or replace function core._page_key(p_cursor jsonb, p_sort text, p_types text[], p_arg text)
    returns text[]
    language plpgsql immutable
as $$
declare
    v_keys text[];
begin
    if p_cursor is null then
        return null;
    end if;
    if jsonb_typeof(p_cursor) <> 'object' or jsonb_typeof(p_cursor -> 'k') is distinct from 'array'
       or jsonb_array_length(p_cursor -> 'k') <> cardinality(p_types) or p_cursor ->> 's' is distinct from p_sort then
        raise exception '%: not a cursor of this list (take cursors from edges or pageInfo)', p_arg
            using errcode = 'invalid_parameter_value', column = p_arg;
    end if;
    select array_agg(x.k order by x.n) into v_keys
    from jsonb_array_elements_text(p_cursor -> 'k') with ordinality as x (k, n);
    begin
        for i in 1 .. cardinality(p_types) loop
            if v_keys[i] is null then
                raise exception using errcode = 'invalid_text_representation';
            end if;
            case p_types[i]
                when 'timestamptz' then perform v_keys[i]::timestamptz;
                when 'uuid' then perform v_keys[i]::uuid;
                when 'boolean' then perform v_keys[i]::boolean;
                else null;   -- text
            end case;
        end loop;
    exception when invalid_text_representation or invalid_datetime_format or datetime_field_overflow then
        raise exception '%: not a cursor of this list (take cursors from edges or pageInfo)', p_arg
            using errcode = 'invalid_parameter_value', column = p_arg;
    end;
    return v_keys;
end
$$;
comment on function core._page_key(jsonb, text, text[], text) is
    'Internal: the keys of a page cursor ({"s": p_sort, "k": [...]}) as text, one per entry of p_types (timestamptz, '
    'uuid, boolean or text), each checked to cast to its type; null for a null cursor; 22023 naming p_arg otherwise.';

create or replace function core._check_page_size(p_limit integer) returns void
    language plpgsql immutable
as $$
begin
    if p_limit is null or p_limit not between 0 and 100 then
        raise exception 'first/last: a page has at most 100 rows (got %); page with after/before for more',
            coalesce(p_limit::text, 'null') using errcode = 'invalid_parameter_value';
    end if;
end
$$;
comment on function core._check_page_size(integer) is 'Internal: a page size is 0 to 100 rows; 22023 otherwise.';

create or replace function core._like_pattern(p_search text) returns text
    language sql immutable
as $$
    select case when nullif(btrim(p_search), '') is null then null
                else '%' || replace(replace(replace(btrim(p_search), '\', '\\'), '%', '\%'), '_', '\_') || '%' end
$$;
comment on function core._like_pattern(text) is
    'Internal: an ILIKE pattern matching any text that contains p_search (trimmed; \, % and _ taken literally); '
    'null for an empty search.';
