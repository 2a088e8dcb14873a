-- index/text.sql: text search helpers and the words table (typo correction).

-- ---------------------------------------------------------------- text helpers (shared by rebuild and search)
create or replace function index._tsconfig(p_tenant_id uuid) returns regconfig
    language sql stable parallel safe
as $$
    select coalesce((select t.text_search_config from core.tenants t where t.id = p_tenant_id), 'pg_catalog.simple'::regconfig)
$$;
comment on function index._tsconfig(uuid) is
    'Internal: the tenant''s text search configuration (core.tenants.text_search_config), simple when unknown.';

create or replace function index._unaccent(p_text text) returns text
    language sql stable parallel safe
as $$ select public.unaccent('public.unaccent'::regdictionary, coalesce(p_text, '')) $$;
comment on function index._unaccent(text) is 'Internal: unaccent with an explicit dictionary (independent of search_path); null becomes an empty string.';

create or replace function index._tsv(p_config regconfig, p_text text, p_weight "char") returns tsvector
    language sql stable parallel safe
as $$ select pg_catalog.setweight(pg_catalog.to_tsvector(p_config, index._unaccent(p_text)), p_weight) $$;
comment on function index._tsv(regconfig, text, "char") is
    'Internal: the unaccented tsvector of a text in a configuration, with every lexeme given weight A, B, C or D.';

create or replace function index._words(p_text text) returns setof text
    language sql stable parallel safe
as $$
    select distinct w
    from pg_catalog.regexp_split_to_table(pg_catalog.lower(index._unaccent(p_text) collate "pg_c_utf8"), '[^[:alnum:]]+') as w
    where pg_catalog.length(w) between 2 and 40 and w ~ '[[:alpha:]]'
$$;
comment on function index._words(text) is
    'Internal: the distinct words of a text for index.words: unaccented, lowercase, split on anything but letters and '
    'digits (any script), 2 to 40 characters, with at least one letter (numbers alone are not completed or corrected).';

create or replace function index._plain(p_text text, p_format text) returns text
    language sql immutable parallel safe
as $$
    select pg_catalog.btrim(pg_catalog.regexp_replace(
        case when p_format = 'html' then pg_catalog.regexp_replace(coalesce(p_text, ''), '<[^>]*>', ' ', 'g')
             else coalesce(p_text, '') end,
        '\s+', ' ', 'g'))
$$;
comment on function index._plain(text, text) is 'Internal: a body as plain text: HTML tags removed (format html), whitespace collapsed.';

-- ---------------------------------------------------------------- index.words

comment on table index.words is
    'Distinct words (lowercase, unaccented, 2-40 letters/digits, at least one letter) of the indexed titles, subtitles, excerpts, tags, '
    'categories and descriptions of a tenant: completes a prefix while typing and corrects typos (pg_trgm nearest neighbour) without '
    'scanning the read tables. Added by the rebuilds; index.refresh_words(tenant) removes stale words.';
comment on column index.words.tenant_id is 'The tenant whose indexed texts contain the word.';
comment on column index.words.word is 'A word: lowercase, unaccented, 2-40 letters or digits with at least one letter.';

select core.enable_tenant_rls('index.words');
select core.allow_analyst_read('index.words');
select core.allow_tenant_analyst_read('index.words');
grant select on index.words to rustok_analyst, rustok_app, rustok_tenant_analyst;

-- ---------------------------------------------------------------- index.words_stale

comment on table index.words_stale is
    'Tenants whose index.words may hold words no read row contains any more: a rebuild that changed the text of an '
    'existing read row or deleted one marks its tenant (index._mark_words_stale); index.refresh_words_if_stale (the '
    'full reindex) recomputes the word list of marked tenants only. Rebuilds of new rows only add words.';
comment on column index.words_stale.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column index.words_stale.marked_by is
    'The backend (pg_backend_pid) that marked it: one row per marking backend, so concurrent rebuilds never wait for '
    'each other''s mark (0: marked by the migration that created the table).';
comment on column index.words_stale.marked_at is 'When that backend last marked the tenant.';

select core.enable_tenant_rls('index.words_stale');
select core.allow_analyst_read('index.words_stale');
select core.allow_tenant_analyst_read('index.words_stale');
grant select on index.words_stale to rustok_analyst, rustok_tenant_analyst;

create or replace function index._mark_words_stale(p_tenant_id uuid) returns void
    language sql volatile
as $$
    -- Always a write, never `do nothing` on an existing mark: index.refresh_words deletes the marks before it reads
    -- the texts. A mark this transaction rewrites is row-locked, so that delete waits for our commit and the texts
    -- are then read after it; a mark this transaction inserts is invisible to a delete running meanwhile, so it
    -- stays. Either way our text change is in a refresh or still marked. (With `do nothing` on a mark that exists,
    -- a refresh could read the texts before our commit and then delete the mark.)
    insert into index.words_stale as w (tenant_id, marked_by, marked_at)
    values (p_tenant_id, pg_catalog.pg_backend_pid(), pg_catalog.clock_timestamp())
    on conflict (tenant_id, marked_by) do update set marked_at = excluded.marked_at
$$;
comment on function index._mark_words_stale(uuid) is
    'Internal: mark a tenant''s word list as possibly stale (a rebuild changed an existing read row''s text or deleted '
    'a read row). One row per backend.';
revoke all on function index._mark_words_stale(uuid) from public, rustok_app, rustok_analyst;
