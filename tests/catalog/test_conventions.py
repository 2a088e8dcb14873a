"""The conventions of docs/conventions.md, checked against the migrated catalog and the code tree (sql/code).

Each test lists every offender it finds, so a failure says what to fix and where."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from psycopg.rows import tuple_row

from rustok import sqlcode, sqltext
from rustok.paths import code_dir
from tests.catalog import codetree

SCHEMAS = ("core", "content", "community", "commerce", "outbox", "index", "analytics", "ops")
MODULES = f"({', '.join(repr(s) for s in SCHEMAS)})"

# Functions allowed to run DDL built with `execute format` inside a loop: partition upkeep must build the name
# of each partition it creates, moves rows into, detaches or drops, and it handles a list of days. Nothing
# else may (a repeated pattern is a helper called once per table on its own line, so grep finds it).
DDL_IN_LOOP_ALLOWED = {
    "outbox.create_partitions": "creates the daily partition of each wanted day (name built from the day)",
    "outbox.purge_partitions": "locks and drops or detaches each expired daily partition (name read from the catalog)",
}

_DDL = re.compile(r"^\s*(create|alter|drop|comment|grant|revoke|lock|truncate|reindex|cluster|security)\b", re.I)


def rows(conn, sql: str, params=None) -> list[tuple]:
    return conn.cursor(row_factory=tuple_row).execute(sql, params).fetchall()


def test_every_table_view_column_and_function_has_a_comment(conn):
    """The one comment-coverage test for every schema of ours (psql \\d+ / \\df+ show them to operators and
    analysts): schemas, tables and their partitions, views, columns (partitions' columns are described by
    their parent), functions and composite types."""
    missing = rows(conn, f"""
        select format('schema %s', n.nspname) from pg_namespace n
        where n.nspname in {MODULES} and obj_description(n.oid, 'pg_namespace') is null
        union all
        select format('%s %s.%s', case c.relkind when 'v' then 'view' when 'm' then 'view' else 'table' end,
                      n.nspname, c.relname)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in {MODULES} and c.relkind in ('r', 'p', 'v', 'm', 'f')
          and obj_description(c.oid, 'pg_class') is null
        union all
        select format('type %s.%s', n.nspname, t.typname)
        from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where n.nspname in {MODULES} and t.typtype in ('c', 'e', 'd')
          and not exists (select 1 from pg_class c where c.oid = t.typrelid and c.relkind <> 'c')
          and obj_description(t.oid, 'pg_type') is null
        union all
        select format('column %s.%s.%s', n.nspname, c.relname, a.attname)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where n.nspname in {MODULES} and c.relkind in ('r', 'p', 'v', 'm', 'f') and not c.relispartition
          and col_description(c.oid, a.attnum) is null
        union all
        select format('function %s.%s(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in {MODULES} and obj_description(p.oid, 'pg_proc') is null
        order by 1""")
    assert missing == [], f"{len(missing)} without a comment (add `comment on` in sql/code):\n" + \
        "\n".join(r[0] for r in missing)
    counted = rows(conn, f"""
        select count(*) filter (where c.relkind in ('r', 'p')), count(*) filter (where c.relispartition)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in {MODULES}""")[0]
    assert counted[0] >= 60 and counted[1] >= 10  # the test sees the tables and partitions it vouches for


def test_every_function_in_sql_code_states_its_volatility():
    missing, seen = [], 0
    for rel, stmt in codetree.read().statements:
        code = sqltext.blank_strings(stmt.words)
        match = codetree.FUNCTION.match(code)
        if not match or match["kind"] == "procedure":   # a procedure has no volatility (it may commit)
            continue
        seen += 1
        header = re.split(r"\bas \$|\bbegin atomic\b|\breturn\b(?!s)", code, maxsplit=1)[0]
        if not re.search(r"\b(volatile|stable|immutable)\b", header):
            missing.append(f"{rel}:{stmt.line}: {codetree.FUNCTION.match(code)['name']}")
    assert seen > 150
    assert missing == [], "functions without volatile/stable/immutable in their header:\n" + "\n".join(missing)


def test_security_definer_functions_pin_search_path(conn):
    definers = rows(conn, f"""
        select format('%s.%s', n.nspname, p.proname), p.proconfig
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in {MODULES} and p.prosecdef order by 1""")
    assert definers, "expected some security definer functions (e.g. core.tenant_id_by_slug)"
    unpinned = [name for name, config in definers if "search_path=pg_catalog, pg_temp" not in (config or [])]
    assert unpinned == [], f"security definer without `set search_path = pg_catalog, pg_temp`: {unpinned}"


def test_every_tenant_table_is_under_row_level_security(conn):
    # RLS is enabled, not forced: the owner role (migrations, the outbox projector that writes the read model,
    # and the security definer functions) must see every tenant's rows; the application role rustok_app and the
    # analyst role are not owners, so the policies bind them. A forced table would hide rows from the projector.
    tables = rows(conn, f"""
        select format('%s.%s', n.nspname, c.relname), c.relrowsecurity, c.relforcerowsecurity,
               exists (select from pg_policy p where p.polrelid = c.oid and p.polname = 'tenant_isolation'
                       and p.polroles @> array['rustok_app'::regrole::oid])
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
        where n.nspname in {MODULES} and c.relkind in ('r', 'p') and not c.relispartition
        order by 1""")
    assert len(tables) > 30
    bad = [f"{t}: rls={rls} forced={forced} tenant_isolation={policy}"
           for t, rls, forced, policy in tables if not rls or forced or not policy]
    assert bad == [], "\n".join(bad)
    # Partitions are reached through their parent (whose policies apply); nobody but the owner may touch one directly.
    open_partitions = rows(conn, f"""
        select format('%s.%s', n.nspname, c.relname)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in {MODULES} and c.relispartition
          and (has_table_privilege('rustok_app', c.oid, 'select, insert, update, delete')
               or has_table_privilege('rustok_analyst', c.oid, 'select'))""")
    assert open_partitions == []


def test_trigger_names_show_their_firing_order(conn):
    bad = rows(conn, f"""
        select format('%s.%s %s', n.nspname, c.relname, t.tgname)
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where not t.tgisinternal and n.nspname in {MODULES} and t.tgname !~ '^_[0-9]{{3}}_[a-z0-9_]+$'""")
    assert bad == [], f"trigger names must be _NNN_name: {bad}"


def _once(kind: str, catalog: Counter, code: dict) -> list[str]:
    problems = []
    for key, n in sorted(catalog.items()):
        defs = code.get(key, [])
        if len(defs) != n:
            where = ", ".join(f"{d.file}:{d.line}" for d in defs) or "nowhere"
            problems.append(f"{kind} {key}: {n} in the catalog, defined {len(defs)} time(s) in sql/code ({where})")
    for key, defs in sorted(code.items()):
        if key not in catalog:
            problems.append(f"{kind} {key}: defined in sql/code ({defs[0].file}:{defs[0].line}) but not in the catalog")
    return problems


def test_every_function_trigger_view_and_policy_is_defined_once_in_sql_code(conn):
    tree = codetree.read()
    # functions by name: an overloaded name must be defined as often as it has overloads
    functions = Counter(r[0] for r in rows(conn, f"""
        select format('%s.%s', n.nspname, p.proname) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in {MODULES}
          and not exists (select from pg_depend d where d.objid = p.oid and d.deptype = 'e')"""))
    # triggers cloned onto partitions (tgparentid) are made by PostgreSQL from the parent's
    triggers = Counter((r[0], r[1]) for r in rows(conn, f"""
        select format('%s.%s', n.nspname, c.relname), t.tgname
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where not t.tgisinternal and t.tgparentid = 0 and n.nspname in {MODULES}"""))
    views = Counter(r[0] for r in rows(conn, f"""
        select format('%s.%s', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in {MODULES} and c.relkind in ('v', 'm')"""))
    policies = Counter((r[0], r[1]) for r in rows(conn, f"""
        select format('%s.%s', n.nspname, c.relname), p.polname
        from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in {MODULES}"""))
    assert functions and triggers and views and policies
    problems = (_once("function", functions, tree.functions) + _once("trigger", triggers, tree.triggers)
                + _once("view", views, tree.views) + _once("policy", policies, tree.policies))
    assert problems == [], "\n".join(problems)


def _loop_depths(body: str):
    """(position, depth) of every `loop` / `end loop` keyword of a PL/pgSQL body (strings blanked)."""
    depth = 0
    for m in re.finditer(r"\bend\s+loop\b|\bloop\b", body, re.I):
        depth += -1 if m.group(0).lower().startswith("end") else 1
        yield m.start(), depth


def _ddl_in_loops(body: str) -> list[str]:
    """The format strings of `execute format(...)` calls inside a loop that run DDL (or that cannot be read:
    a format held in a variable is assumed to be DDL)."""
    code = sqltext.blank_strings(sqltext.strip_comments(body))   # same offsets as body
    marks = list(_loop_depths(code))
    found = []
    for m in re.finditer(r"\bexecute\s+format\s*\(\s*", code, re.I):
        depth = ([d for pos, d in marks if pos < m.start()] or [0])[-1]
        if depth == 0:
            continue
        start = body[m.end():]
        if start.startswith("$"):
            fmt = sqltext.dollar_bodies(start)[0]
        elif start.startswith("'"):
            fmt = start[1:start.index("'", 1)]
        else:
            fmt = "<format in a variable>"
        if fmt.startswith("<") or _DDL.match(fmt):
            found.append(fmt.strip().split("\n")[0][:60])
    return found


def test_no_ddl_is_executed_in_a_loop():
    tree = codetree.read()
    offenders: dict[str, list[str]] = {}
    for rel, stmt in tree.statements:
        code = sqltext.blank_strings(stmt.words)
        m = codetree.FUNCTION.match(code)
        if m or re.match(r"^do\b", code):
            name = m["name"] if m else f"DO block at {rel}:{stmt.line}"
            for body in sqltext.dollar_bodies(stmt.text)[:1]:
                hits = _ddl_in_loops(body)
                if hits:
                    offenders[name] = hits
    not_allowed = {k: v for k, v in offenders.items() if k not in DDL_IN_LOOP_ALLOWED}
    assert not_allowed == {}, f"DDL built with execute format inside a loop: {not_allowed}"
    # the allowed list stays honest: each entry still does what it is allowed for
    assert sorted(offenders) == sorted(DDL_IN_LOOP_ALLOWED)
    # and a DO block never loops (a loop over tables is a helper called once per table instead)
    do_loops = [f"{rel}:{stmt.line}" for rel, stmt in tree.statements
                if re.match(r"^do\b", stmt.words) and re.search(r"\bloop\b", sqltext.blank_strings(
                    sqltext.strip_comments(sqltext.dollar_bodies(stmt.text)[0])))]
    assert do_loops == []


def test_the_loop_check_finds_ddl_in_a_loop():
    body = """
    declare v record;
    begin
        execute format('alter table %s enable row level security', 'x');   -- once: fine
        for v in select relname from pg_class loop
            execute format('select count(*) from %I', v.relname);            -- not DDL: fine
            execute format($q$create policy p on %I using (true)$q$, v.relname);
        end loop;
        execute format('drop table %I', 'y');                                -- after the loop: fine
        while true loop
            execute format(v_sql, v.relname);                                 -- unreadable: assumed DDL
            exit;
        end loop;
    end"""
    assert _ddl_in_loops(body) == ["create policy p on %I using (true)", "<format in a variable>"]


def test_every_sql_file_of_the_code_tree_is_in_order():
    root = code_dir()
    listed = [ln.strip() for ln in (root / sqlcode.ORDER_FILE).read_text().splitlines()
              if ln.strip() and not ln.strip().startswith("#")]
    on_disk = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.sql"))
    assert sorted(listed) == on_disk
    assert len(listed) == len(set(listed))
    assert [p.relative_to(root).as_posix() for p in sqlcode.load().files] == listed


def _module(path: str) -> str:
    return path.split("/", 1)[0]


def test_a_tables_triggers_and_policies_are_in_one_file():
    """grep for a table's name in its module finds its triggers and its policies in one place: the file that
    creates the table's triggers also holds its policies / row-security call.

    A trigger another module puts on the table (e.g. content's author events on core.users, the index's
    reindex trigger on core.tenants) lives with that module's code: its function is created after the
    table's module is applied, so it cannot sit in the table's file. It still names the table."""
    tree = codetree.read()
    files: dict[str, set[str]] = defaultdict(set)
    for (table, _name), defs in tree.triggers.items():
        for d in defs:
            if _module(d.file) == table.split(".")[0]:
                files[table].add(d.file)
    for (table, _name), defs in tree.policies.items():
        files[table].update(d.file for d in defs)
    for table, defs in tree.row_security.items():
        files[table].update(d.file for d in defs)
    spread = {t: sorted(f) for t, f in files.items() if len(f) > 1}
    assert spread == {}, "tables whose triggers and policies are in several files:\n" + \
        "\n".join(f"{t}: {', '.join(f)}" for t, f in sorted(spread.items()))


def test_order_defines_what_a_file_needs_before_it():
    """A trigger needs its function, and a SQL-language function or a view the functions and views it names, when
    it is created: ORDER must put those earlier. (On an existing database the migrations' copies of the functions
    hide a wrong order, so this is checked on the text.)"""
    tree = codetree.read()
    position: dict[str, tuple[int, str]] = {}
    for i, (rel, stmt) in enumerate(tree.statements):
        code = sqltext.blank_strings(stmt.words)
        m = codetree.FUNCTION.match(code) or codetree.VIEW.match(code)
        if m:
            position.setdefault(codetree.unquote(m["name"]), (i, rel))
    ref = re.compile(rf"\b(?P<name>(?:{'|'.join(SCHEMAS)})\.[a-z_][a-z0-9_]*)\b")
    late, checked = [], 0
    for i, (rel, stmt) in enumerate(tree.statements):
        words = stmt.words
        code = sqltext.blank_strings(words)
        if codetree.TRIGGER.match(code):
            needs = [re.search(r"execute (?:function|procedure) ([\w.]+)\(", words)[1]]
        elif codetree.VIEW.match(code) or (codetree.FUNCTION.match(code) and re.search(r"\blanguage sql\b", code)):
            me = (codetree.FUNCTION.match(code) or codetree.VIEW.match(code))["name"]
            text = " ".join(sqltext.blank_strings(sqltext.strip_comments(body)).lower()
                            for body in sqltext.dollar_bodies(stmt.text)) if codetree.FUNCTION.match(code) else code
            needs = [n for n in (m["name"] for m in ref.finditer(text)) if n != me]
        else:
            continue
        checked += 1
        for name in needs:
            if name in position and position[name][0] > i:
                late.append(f"{rel}:{stmt.line} needs {name}, defined later in {position[name][1]}")
    assert checked > 200
    assert late == [], "\n".join(late)
