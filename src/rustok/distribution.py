"""Distribution by tenant (Citus), read from the catalog: which tables are distributed on `tenant_id`
(co-located), which are reference tables, which stay on the coordinator, and what still stands in the way.

`tables(conn)` classifies every table of our schemas; `problems(conn)` lists the keys and foreign keys
that would stop a distribution by tenant (a nullable tenant_id, a primary or unique key that does not lead
with tenant_id, a foreign key between tenant tables without tenant_id, a foreign key from a global table into
a tenant table); `citus_plan(conn)` writes the SQL a Citus coordinator would run (`rustok db citus-plan`).
tests/catalog/test_distribution.py holds the schema to these rules; docs/scaling.md has the recipe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from psycopg.rows import tuple_row

from rustok.catalog import SCHEMAS

# Joins in sql/code and in the Python package that reach a tenant table without matching tenant_id, and why
# that is not a join across tenants (tests/catalog/test_distribution.py keeps this list exact).
JOINS_WITHOUT_TENANT = {
    ("sql/code/commerce/prices.sql", "commerce.variants"):
        "commerce._resolve_prices looks variants up by the ids it is given (an unnest, not a tenant table); "
        "the tenant comes from the variant rows (RLS: the caller's tenant only)",
    ("sql/code/ops/health.sql", "outbox.deliveries"):
        "ops.health()'s backlog check counts each consumer's queue over all tenants (outbox.consumers, a reference "
        "table, to the distributed queue: an aggregate per consumer, no row of one tenant meets another's)",
    ("sql/code/outbox/monitoring.sql", "outbox.deliveries"):
        "the operators' view outbox.backlog: the same per-consumer count over all tenants",
}

# Global tables every tenant table may point at (small, read-mostly): replicated to every node.
REFERENCE = {
    "core.tenants": "one row per tenant; every tenant table's tenant_id points here",
    "core.modules": "the module catalog (tenant_modules points here)",
    "core.analyst_tenants": "per-tenant analyst logins: keyed by a cluster-wide role name, read by RLS policies",
    "commerce.currencies": "ISO currencies (prices and orders point here)",
    "commerce.order_status_transitions": "the order state machine",
    "community.reaction_kinds": "reaction kinds (reactions point here)",
    "core.permissions": "the permission catalog (core.role_permissions points here)",
    "core.role_permissions": "which role holds which permission (the same matrix for every tenant)",
    "core.tenant_domains": "host name -> tenant (a host is unique over all tenants; read before a tenant is known)",
    "outbox.consumers": "registered consumers (a handful of rows): the fan-out trigger on outbox.events joins it on "
                        "whichever node holds the event's shard",
}
# Single-row settings and bookkeeping of the platform itself: they stay on the coordinator.
LOCAL = {
    "outbox.settings": "outbox retention and partition settings (one row)",
    "outbox.doorbell": "the worker's idle flag (one row)",
    "outbox.periodic_jobs": "claims of periodic jobs (a handful of rows)",
    "ops.code_tree_state": "the applied code tree's digest",
    "ops.health_settings": "thresholds of ops.health() (one row)",
    "core.login_address_attempts": "login throttling per client address over all tenants (the API's login writes "
                                   "it through core.login_failed on the coordinator)",
}

_TABLES = """
select c.oid, n.nspname || '.' || c.relname as name, c.relkind = 'p' as partitioned,
       exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
           as has_tenant,
       exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
                                          and a.attnotnull) as tenant_not_null
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and not c.relispartition and n.nspname = any(%s)
order by 2
"""

# Keys and foreign keys of those tables (partitions' inherited constraints left out), with column names.
_CONSTRAINTS = """
select con.conname, con.contype, con.conrelid, con.confrelid,
       array(select a.attname::text from unnest(con.conkey) with ordinality k(n, i)
             join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.i) as cols,
       array(select a.attname::text from unnest(con.confkey) with ordinality k(n, i)
             join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.i) as fcols,
       pg_get_constraintdef(con.oid) as definition
from pg_constraint con
where con.contype in ('p', 'u', 'f') and con.conrelid = any(%s) and con.conparentid = 0
  and (con.contype <> 'f' or con.confrelid = any(%s))
order by con.conrelid, con.conname
"""

# Unique indexes that are not constraints also bind a distributed table.
_UNIQUE_INDEXES = """
select i.indexrelid::regclass::text, i.indrelid,
       array(select pg_get_indexdef(i.indexrelid, k, true) from generate_series(1, i.indnkeyatts) k
             order by k) as cols  -- key columns or expressions, in order
from pg_index i
where i.indisunique and i.indrelid = any(%s)
  and not exists (select from pg_constraint c where c.conindid = i.indexrelid)
  and not exists (select from pg_inherits h where h.inhrelid = i.indexrelid)
"""


@dataclass
class Table:
    name: str
    kind: str                      # distributed | reference | local | blocked
    partitioned: bool = False
    reason: str = ""
    references: list[str] = field(default_factory=list)   # tables its foreign keys point at


@dataclass
class Problem:
    table: str
    constraint: str
    definition: str
    rule: str

    def __str__(self) -> str:
        return f"{self.table}: {self.constraint} {self.definition}: {self.rule}"


# Tables whose keys are known not to fit yet, with the reason (docs/scaling.md, "what is left"). A table listed
# here is left on the coordinator by the plan; tests/catalog/test_distribution.py requires each entry to be still
# real. (The outbox, outbox.events and outbox.deliveries, was listed until migration 0150 keyed it by tenant_id;
# core.login_attempts until migration 0171 moved its per-address rows, which had no tenant, to a table of their own.)
KNOWN_BLOCKERS: dict[str, str] = {}


def _read(conn):
    cur = conn.cursor(row_factory=tuple_row)
    rows = cur.execute(_TABLES, (list(SCHEMAS),)).fetchall()
    oids = [r[0] for r in rows]
    by_oid = {r[0]: {"name": r[1], "partitioned": r[2], "has_tenant": r[3], "tenant_not_null": r[4]} for r in rows}
    constraints = cur.execute(_CONSTRAINTS, (oids, oids)).fetchall()
    indexes = cur.execute(_UNIQUE_INDEXES, (oids,)).fetchall()
    return by_oid, constraints, indexes


def tenant_tables(conn) -> list[str]:
    """Tables of our schemas with a tenant_id column (partitioned parents, not their partitions)."""
    by_oid, _, _ = _read(conn)
    return [t["name"] for t in by_oid.values() if t["has_tenant"]]


def problems(conn) -> list[Problem]:
    """Every key, foreign key or nullable tenant_id that would stop distributing the tenant tables by tenant_id."""
    by_oid, constraints, indexes = _read(conn)
    tenant = {oid for oid, t in by_oid.items() if t["has_tenant"] and t["name"] not in REFERENCE}
    found: list[Problem] = []
    for oid in sorted(tenant, key=lambda o: by_oid[o]["name"]):
        if not by_oid[oid]["tenant_not_null"]:
            found.append(Problem(by_oid[oid]["name"], "tenant_id", "tenant_id uuid (nullable)",
                                 "the distribution column tenant_id must be not null"))
    for name, contype, rel, frel, cols, fcols, definition in constraints:
        table = by_oid[rel]["name"]
        if rel in tenant and contype in ("p", "u") and (not cols or cols[0] != "tenant_id"):
            found.append(Problem(table, name, definition, "a key of a tenant table must lead with tenant_id"))
        if contype == "f" and rel in tenant and frel in tenant:
            pairs = list(zip(cols, fcols))
            if ("tenant_id", "tenant_id") not in pairs:
                found.append(Problem(table, name, definition,
                                     "a foreign key between tenant tables must match tenant_id to tenant_id"))
        if contype == "f" and rel not in tenant and frel in tenant:
            found.append(Problem(table, name, definition,
                                 f"a global table must not point into a tenant table ({by_oid[frel]['name']})"))
    for index, rel, cols in indexes:
        if rel in tenant and (not cols or cols[0] != "tenant_id"):
            found.append(Problem(by_oid[rel]["name"], index, f"unique index ({', '.join(cols)})",
                                 "a unique index of a tenant table must lead with tenant_id"))
    return found


def tables(conn) -> list[Table]:
    """Every table of our schemas with its place in a distribution by tenant."""
    by_oid, constraints, _ = _read(conn)
    refs: dict[int, list[str]] = {oid: [] for oid in by_oid}
    for _name, contype, rel, frel, *_ in constraints:
        if contype == "f" and frel != rel and by_oid[frel]["name"] not in refs[rel]:
            refs[rel].append(by_oid[frel]["name"])
    blocked = {p.table for p in problems(conn)} | set(KNOWN_BLOCKERS)
    result = []
    for oid, t in by_oid.items():
        name = t["name"]
        if name in REFERENCE:
            kind, reason = "reference", REFERENCE[name]
        elif name in LOCAL:
            kind, reason = "local", LOCAL[name]
        elif name in blocked:
            kind, reason = "blocked", KNOWN_BLOCKERS.get(name, "keys do not fit (see problems)")
        elif t["has_tenant"]:
            kind, reason = "distributed", "co-located on tenant_id"
        else:
            kind, reason = "unclassified", "a global table with no entry in rustok.distribution"
        result.append(Table(name, kind, t["partitioned"], reason, refs[oid]))
    return result


def _in_dependency_order(items: list[Table]) -> list[Table]:
    """Referenced tables first (Citus distributes a table only after the tables its foreign keys point at)."""
    by_name = {t.name: t for t in items}
    done: list[Table] = []
    seen: set[str] = set()

    def visit(t: Table, path: tuple[str, ...] = ()) -> None:
        if t.name in seen or t.name in path:
            return
        for ref in t.references:
            if ref in by_name:
                visit(by_name[ref], path + (t.name,))
        seen.add(t.name)
        done.append(t)

    for t in items:
        visit(t)
    return done


def citus_plan(conn) -> str:
    """The SQL a Citus coordinator runs on a database migrated by `rustok migrate` (docs/scaling.md)."""
    classified = tables(conn)
    reference = _in_dependency_order([t for t in classified if t.kind == "reference"])
    distributed = _in_dependency_order([t for t in classified if t.kind == "distributed"])
    lines = [
        "-- RusToK on Citus: generated by `rustok db citus-plan` from the catalog of a migrated database.",
        "-- Run on the coordinator, as a superuser, after `rustok migrate` and before loading data",
        "-- (create_distributed_table copies existing rows into shards). Not run on this project's machines:",
        "-- docs/scaling.md says what was and was not tried.",
        "create extension if not exists citus;",
        "begin;",
        "",
        "-- Reference tables: global, small, read-mostly; replicated to every node so that every tenant table",
        "-- may keep its foreign keys to them.",
    ]
    for t in reference:
        lines.append(f"select create_reference_table('{t.name}');  -- {t.reason}")
    lines += ["", "-- Distributed on tenant_id, all co-located: a tenant's rows of every table live on the same node,",
              "-- so joins and foreign keys on (tenant_id, ...) stay on one node."]
    first = None
    for t in distributed:
        colocate = "'none'" if first is None else f"'{first}'"
        note = "  -- partitioned: its partitions follow" if t.partitioned else ""
        lines.append(f"select create_distributed_table('{t.name}', 'tenant_id', colocate_with => {colocate});{note}")
        first = first or t.name
    lines += ["",
              "-- The outbox (outbox.events, outbox.deliveries) is distributed and co-located like the rest, so a write",
              "-- trigger's event and its deliveries land on the node of the tenant's shard. Citus runs triggers on",
              "-- distributed tables only with citus.enable_unsafe_triggers = on (they touch co-located shards only). The",
              "-- claim (FOR UPDATE SKIP LOCKED across tenants) is not a router query, so workers run it per shard of",
              "-- outbox.deliveries on the shard's node, and the doorbell is per node: docs/scaling.md, 'The outbox on Citus'.",
              "", "-- Left on the coordinator: the platform's own settings and bookkeeping."]
    for t in classified:
        if t.kind == "local":
            lines.append(f"--   {t.name}: {t.reason}")
    blocked = [t for t in classified if t.kind in ("blocked", "unclassified")]
    if blocked:
        lines += ["", "-- NOT DISTRIBUTABLE YET (they stay on the coordinator; see docs/scaling.md):"]
        for t in blocked:
            lines.append(f"--   {t.name}: {t.reason}")
        for p in problems(conn):
            lines.append(f"--   problem: {p}")
    lines += ["", "commit;", ""]
    return "\n".join(lines)
