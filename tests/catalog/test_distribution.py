"""A distribution-ready schema (issue 16.4): every tenant table is keyed and joined by tenant_id, so it can be
distributed by tenant on Citus (co-located), with the small global tables as reference tables.

Checked on the migrated catalog (rustok.distribution): keys of tenant tables lead with tenant_id, foreign keys
between tenant tables match tenant_id to tenant_id, no global table points into a tenant table; every table
has a place in the plan (`rustok db citus-plan`). And in the code: every explicit JOIN into a tenant table in
sql/code and in the Python package matches tenant_id, except the listed ones (none joins two tenants' rows).
"""

from __future__ import annotations

import re
from pathlib import Path

from rustok import cli, distribution

ROOT = Path(__file__).resolve().parents[2]


def test_tenant_table_keys_and_foreign_keys_lead_with_tenant_id(conn):
    found = distribution.problems(conn)
    unexpected = [str(p) for p in found if p.table not in distribution.KNOWN_BLOCKERS]
    assert unexpected == [], "\n".join(unexpected)
    # the known blockers are still real (delete an entry once its table is fixed); none is left since migration
    # 0150 keyed the outbox by tenant_id, so outbox.events and outbox.deliveries meet every rule above
    assert {p.table for p in found} == set(distribution.KNOWN_BLOCKERS)
    assert not {"outbox.events", "outbox.deliveries"} & set(distribution.KNOWN_BLOCKERS)


def test_the_outbox_is_held_to_the_same_rules(conn):
    """No allowance for the outbox: its old keys, put back, are found like any other tenant table's."""
    conn.execute("alter table outbox.deliveries drop constraint deliveries_pkey")
    conn.execute("alter table outbox.deliveries add primary key (consumer, event_id)")
    conn.execute("alter table outbox.events drop constraint events_pkey")
    conn.execute("alter table outbox.events add primary key (id, occurred_at)")
    conn.execute("alter table outbox.deliveries alter column tenant_id drop not null")
    found = {(p.table, p.constraint): p.rule for p in distribution.problems(conn)}
    assert "lead with tenant_id" in found[("outbox.deliveries", "deliveries_pkey")]
    assert "lead with tenant_id" in found[("outbox.events", "events_pkey")]
    assert "not null" in found[("outbox.deliveries", "tenant_id")]
    tables = {t.name: t.kind for t in distribution.tables(conn)}
    assert tables["outbox.events"] == tables["outbox.deliveries"] == "blocked"


def test_every_table_has_a_place_in_the_plan(conn):
    tables = {t.name: t for t in distribution.tables(conn)}
    unclassified = [n for n, t in tables.items() if t.kind == "unclassified"]
    assert unclassified == [], f"classify these global tables in rustok.distribution (REFERENCE or LOCAL): {unclassified}"
    for name in list(distribution.REFERENCE) + list(distribution.LOCAL) + list(distribution.KNOWN_BLOCKERS):
        assert name in tables, f"rustok.distribution names {name}, which no longer exists"
    distributed = {n for n, t in tables.items() if t.kind == "distributed"}
    assert {"core.users", "content.nodes", "commerce.orders", "commerce.products", "index.products",
            "core.sessions", "outbox.events", "outbox.deliveries"} <= distributed
    assert tables["outbox.events"].partitioned
    assert tables["core.tenants"].kind == "reference"
    # the fan-out trigger on outbox.events reads the consumers on whichever node holds the event's shard
    assert tables["outbox.consumers"].kind == "reference"
    # reference tables point only at reference tables (Citus allows no reference -> distributed key)
    for name in distribution.REFERENCE:
        for ref in tables[name].references:
            assert tables[ref].kind == "reference", (name, ref)


def test_the_checker_finds_keys_and_foreign_keys_without_tenant_id(conn):
    conn.execute("""
        create table commerce.gift_cards (tenant_id uuid not null, id uuid not null, code text not null,
                                          product_id uuid, primary key (tenant_id, id), unique (code), unique (id));
        create table commerce.gift_card_uses (tenant_id uuid not null, id uuid primary key,
                                              card_id uuid references commerce.gift_cards (id));
        create table commerce.gift_card_notes (tenant_id uuid, id uuid not null);
    """)
    conn.execute("create unique index gift_cards_code_lower on commerce.gift_cards (lower(code), tenant_id)")
    found = {(p.table, p.constraint): p.rule for p in distribution.problems(conn)}
    assert "lead with tenant_id" in found[("commerce.gift_cards", "gift_cards_code_key")]
    assert "lead with tenant_id" in found[("commerce.gift_card_uses", "gift_card_uses_pkey")]
    assert "tenant_id to tenant_id" in found[("commerce.gift_card_uses", "gift_card_uses_card_id_fkey")]
    assert ("commerce.gift_cards", "commerce.gift_cards_code_lower") in found
    # a distribution column cannot be null
    assert "not null" in found[("commerce.gift_card_notes", "tenant_id")]
    plan = distribution.citus_plan(conn)
    assert "--   commerce.gift_cards: keys do not fit" in plan
    assert "create_distributed_table('commerce.gift_cards'" not in plan


# An explicit JOIN of a schema-qualified table: its ON / USING condition runs to the next clause.
_JOIN = re.compile(
    r"\bjoin\s+(?:lateral\s+)?([a-z_]+\.[a-z_]+)\s+(?:as\s+)?(?:[a-z_]\w*\s+)?(?:on|using)\s+(.*?)"
    r"(?=\b(?:left|right|full|inner|cross|join|where|group|order|limit|window|returning|union)\b|;|\)\s*(?:select|,)|$)",
    re.S | re.I)


def test_no_api_query_joins_across_tenants(conn):
    tenant = set(distribution.tenant_tables(conn)) - set(distribution.REFERENCE)
    files = sorted(ROOT.glob("sql/code/**/*.sql")) + sorted(ROOT.glob("src/rustok/**/*.py"))
    checked, offending = 0, set()
    for path in files:
        text = re.sub(r"--[^\n]*", "", path.read_text())
        for table, condition in _JOIN.findall(text):
            if table not in tenant:
                continue
            checked += 1
            if "tenant_id" not in condition:
                offending.add((str(path.relative_to(ROOT)), table))
    assert checked > 50, f"the scanner saw only {checked} joins into tenant tables"
    unexplained = offending - set(distribution.JOINS_WITHOUT_TENANT)
    assert not unexplained, f"joins into a tenant table without tenant_id: {sorted(unexplained)}"
    stale = set(distribution.JOINS_WITHOUT_TENANT) - offending
    assert not stale, f"listed in JOINS_WITHOUT_TENANT but fixed or gone: {sorted(stale)}"


def test_citus_plan_command(db_url, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert cli.main(["db", "citus-plan"]) == 0
    plan = capsys.readouterr().out
    assert plan.index("create_reference_table('core.tenants')") < plan.index("create_distributed_table(")
    assert "select create_distributed_table('content.nodes', 'tenant_id', colocate_with => '" in plan
    assert plan.count("colocate_with => 'none'") == 1, "one co-location group"
    group = plan.split("colocate_with => 'none'")[0].rsplit("create_distributed_table('", 1)[1].split("'")[0]
    for table in ("outbox.events", "outbox.deliveries"):
        assert f"select create_distributed_table('{table}', 'tenant_id', colocate_with => '{group}');" in plan, table
    assert "create_reference_table('outbox.consumers')" in plan
    blocked = plan.split("NOT DISTRIBUTABLE YET", 1)[-1] if "NOT DISTRIBUTABLE YET" in plan else ""
    assert "outbox." not in blocked
    assert "per shard" in plan, "the plan says how the outbox claim runs on Citus"
    # a table is distributed only after the tables its foreign keys point at
    assert plan.index("'commerce.products'") < plan.index("'commerce.variants'") < plan.index("'commerce.prices'")
