"""Bulk import of products (commerce.import_products, `rustok import products FILE`): a good file, a bad line
(named, nothing written), tenants kept apart, one event per product, and a read model identical to the one the
row-by-row API functions produce for the same products."""

from __future__ import annotations

import json
import os
import re
import uuid

import psycopg
import pytest
from psycopg.types.json import Jsonb

from rustok import cli, imports
from tests.conftest import make_tenant, make_user

CATEGORY_HANDLES = ("shirts", "hats")


def _setup_tenant(conn: psycopg.Connection, slug: str) -> uuid.UUID:
    tenant = make_tenant(conn, slug)
    tid = tenant["id"] if isinstance(tenant, dict) else tenant[0]
    for handle in CATEGORY_HANDLES:
        conn.execute("insert into commerce.categories (tenant_id, name, handle) values (%s, %s, %s)",
                     (tid, handle.title(), handle))
    conn.execute("insert into content.tags (tenant_id, name) values (%s, 'Summer')", (tid,))
    return tid


def product(n: int, **over) -> dict:
    doc = {
        "handle": f"shirt-{n}", "title": f"Linen shirt {n}", "subtitle": "Cool", "status": "published" if n % 3 else "draft",
        "description": f"A soft linen shirt, number {n}.", "metadata": {"n": n},
        "options": [{"title": "Size", "values": ["S", "M"]}, {"title": "Colour", "values": ["Red"]}],
        "variants": [
            {"title": f"S {n}", "sku": f"SH-{n}-S", "weight": 200 + n,
             "options": [{"name": "Size", "value": "S"}, {"name": "colour", "value": "Red"}],
             "prices": [{"amount": 1999 + n, "currencyCode": "EUR"}, {"amount": 2199, "currencyCode": "USD"}],
             "stock": n % 4},
            {"title": f"M {n}", "sku": f"SH-{n}-M", "allowBackorder": True,
             "options": [{"name": "Size", "value": "M"}, {"name": "Colour", "value": "Red"}],
             "prices": [{"amount": 2099, "currencyCode": "EUR"}, {"amount": 1899, "currencyCode": "EUR", "minQuantity": 5}],
             "stock": 7},
        ],
        "categories": ["shirts"] if n % 2 else ["shirts", "hats"],
        "tags": ["summer", f"Batch {n % 2}"],
    }
    doc.update(over)
    return doc


def lines_of(docs: list[dict]) -> list[str]:
    return [json.dumps(d) for d in docs]


@pytest.fixture
def db(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        yield conn


def count(conn, sql: str, *args) -> int:
    return conn.execute(sql, args).fetchone()[0]


@pytest.mark.parametrize("path", ["fast", "triggers"])
def test_good_file_writes_every_table_and_one_event_per_product(db, path):
    tid = _setup_tenant(db, "shop-a")
    db.execute("delete from outbox.deliveries")
    before = count(db, "select count(*) from outbox.events where tenant_id = %s", tid)
    text = ["# products of the summer collection", ""] + lines_of([product(n) for n in range(1, 8)])
    if path == "fast":
        result = imports.import_products(db, text, tenant_id=tid, chunk_size=3)
    else:
        with db.transaction():
            db.execute("set local session_replication_role = local")
            result = imports.import_products(db, text, tenant_id=tid, chunk_size=3)
    assert (result.products, result.variants, result.prices, result.chunks) == (7, 14, 28, 3)

    assert count(db, "select count(*) from commerce.products where tenant_id = %s", tid) == 7
    assert count(db, "select count(*) from commerce.variants where tenant_id = %s", tid) == 14
    assert count(db, "select count(*) from commerce.options where tenant_id = %s", tid) == 14
    assert count(db, "select count(*) from commerce.option_values where tenant_id = %s", tid) == 21
    assert count(db, "select count(*) from commerce.variant_options where tenant_id = %s", tid) == 28
    assert count(db, "select count(*) from commerce.prices where tenant_id = %s", tid) == 28
    assert count(db, "select count(*) from commerce.inventory_levels where tenant_id = %s", tid) == 14
    assert count(db, "select sum(stocked_quantity) from commerce.inventory_levels where tenant_id = %s", tid) == \
        sum(n % 4 + 7 for n in range(1, 8))
    assert count(db, "select count(*) from commerce.product_categories where tenant_id = %s", tid) == 4 + 3 * 2
    # tags by name: "summer" matched the existing "Summer"; "Batch 0" / "Batch 1" were created
    assert sorted(r[0] for r in db.execute("select slug from content.tags where tenant_id = %s", (tid,))) == \
        ["batch-0", "batch-1", "summer"]
    assert count(db, "select count(*) from content.taggables where tenant_id = %s", tid) == 14
    # the timestamps are the statement's: created = updated
    assert count(db, "select count(*) from commerce.prices where tenant_id = %s and created_at <> updated_at", tid) == 0

    # one event per product (not the ~13 the tables' triggers write for the same rows), each queued once
    events = db.execute("select event_type, aggregate_id, payload from outbox.events where tenant_id = %s "
                        "order by occurred_at, id offset %s", (tid, before)).fetchall()
    assert [e[0] for e in events] == ["ProductCreated"] * 7
    ids = {r[0] for r in db.execute("select id from commerce.products where tenant_id = %s", (tid,))}
    assert {e[1] for e in events} == ids
    assert all(e[2]["source"] == "import" for e in events)
    assert count(db, "select count(*) from outbox.deliveries where consumer = 'index'") == 7
    runs = db.execute("select products, first_line, last_line, finished_at is not null from core.import_runs "
                      "where tenant_id = %s order by first_line", (tid,)).fetchall()
    assert runs == [(3, 3, 5, True), (3, 6, 8, True), (1, 9, 9, True)]

    # the flag is down after the import: a plain write emits its events again
    db.execute("update commerce.products set subtitle = 'Changed' where tenant_id = %s and handle = 'shirt-1'", (tid,))
    assert count(db, "select count(*) from outbox.events where tenant_id = %s and event_type = 'ProductUpdated'", tid) == 1


@pytest.mark.parametrize("bad, fragment", [
    ({"currency": "XYZ"}, "line 4: variants[0].prices[0]: expected"),
    ({"handle": "Not A Handle"}, "line 4: handle: \"Not A Handle\" is not a handle"),
    ({"category": "nope"}, "line 4: categories: the shop has no category with the handle \"nope\""),
    # shirt-1 came in the first chunk (same transaction): the second chunk finds it written
    ({"dup_handle": True}, "line 4: handle: the shop already has a product with the handle shirt-1"),
    ({"option": "XL"}, "line 4: variants[0].options: the product has no option \"Size\" with the value \"XL\""),
    ({"stock": -1}, "line 4: variants[0].stock"),
    # a product's parts are bounded (docs/graphql.md "Lists that are not connections")
    ({"tags": 101}, "line 4: tags: at most 100 per product (got 101)"),
])
def test_bad_line_is_named_and_nothing_is_written(db, bad, fragment):
    tid = _setup_tenant(db, "shop-b")
    docs = [product(1), product(2), product(3)]
    broken = product(4)
    if "currency" in bad:
        broken["variants"][0]["prices"][0]["currencyCode"] = bad["currency"]
    if "handle" in bad:
        broken["handle"] = bad["handle"]
    if "category" in bad:
        broken["categories"] = [bad["category"]]
    if "dup_handle" in bad:
        broken["handle"] = "shirt-1"
        broken["variants"] = []
    if "option" in bad:
        broken["variants"][0]["options"][0]["value"] = bad["option"]
    if "stock" in bad:
        broken["variants"][0]["stock"] = bad["stock"]
    if "tags" in bad:
        broken["tags"] = [f"tag {i}" for i in range(bad["tags"])]
    text = lines_of(docs) + [json.dumps(broken), json.dumps(product(5))]
    events = count(db, "select count(*) from outbox.events")
    with pytest.raises(imports.ImportFailed) as err:
        imports.import_products(db, text, tenant_id=tid, chunk_size=2)   # the bad line is in the second chunk
    assert fragment in str(err.value)
    assert count(db, "select count(*) from commerce.products where tenant_id = %s", tid) == 0
    assert count(db, "select count(*) from commerce.variants where tenant_id = %s", tid) == 0
    assert count(db, "select count(*) from core.import_runs where tenant_id = %s", tid) == 0
    assert count(db, "select count(*) from outbox.events") == events


def test_duplicates_within_a_chunk_name_both_lines(db):
    tid = _setup_tenant(db, "shop-h")
    text = lines_of([product(1), product(2), product(1, variants=[])])
    with pytest.raises(imports.ImportFailed, match="^line 3: handle: shirt-1 is given again on line 1$") as err:
        imports.import_products(db, text, tenant_id=tid)
    clash = product(5)
    clash["variants"][1]["sku"] = "SH-1-S"
    with pytest.raises(imports.ImportFailed, match=r"^line 2: variants\[1\]\.sku: SH-1-S is given again on line 1"):
        imports.import_products(db, lines_of([product(1), clash]), tenant_id=tid)
    assert count(db, "select count(*) from commerce.products where tenant_id = %s", tid) == 0


def test_invalid_json_names_the_line(db):
    tid = _setup_tenant(db, "shop-c")
    with pytest.raises(imports.ImportFailed, match=r"^line 3: not valid JSON"):
        imports.import_products(db, [json.dumps(product(1)), "", '{"handle": "x",'], tenant_id=tid)
    with pytest.raises(imports.ImportFailed, match=r"^line 1: expected a JSON object"):
        imports.import_products(db, ['[1, 2]'], tenant_id=tid)
    assert count(db, "select count(*) from commerce.products where tenant_id = %s", tid) == 0


def test_invalid_json_in_a_later_chunk_names_its_line_and_writes_nothing(db):
    # the server parses the lines (COPY into jsonb); the message still names the file's line, also for a line only
    # jsonb refuses (\u0000 in a string), and the earlier chunks of the transaction are rolled back with it
    tid = _setup_tenant(db, "shop-c2")
    good = lines_of([product(n) for n in range(1, 5)])
    with pytest.raises(imports.ImportFailed, match=r"^line 6: not valid JSON"):
        imports.import_products(db, good + ["# a comment", '{"handle": "x", "title": NaN}'], tenant_id=tid, chunk_size=2)
    with pytest.raises(imports.ImportFailed, match=r"^line 5: not valid JSON for the database"):
        imports.import_products(db, good + [json.dumps(product(5, title="a\u0000b"))], tenant_id=tid, chunk_size=2)
    assert count(db, "select count(*) from commerce.products where tenant_id = %s", tid) == 0
    imports.import_products(db, good, tenant_id=tid, chunk_size=3)
    assert count(db, "select count(*) from commerce.products where tenant_id = %s", tid) == 4


def test_a_retired_handle_imported_again_is_live_again(db):
    tid = _setup_tenant(db, "shop-retired")
    imports.import_products(db, lines_of([product(1)]), tenant_id=tid)
    db.execute("delete from commerce.products where tenant_id = %s and handle = 'shirt-1'", (tid,))
    assert count(db, "select count(*) from commerce.retired_handles where tenant_id = %s", tid) == 1
    # (the deleted product's inventory items, and so their SKUs, outlive it: the new one comes without variants)
    imports.import_products(db, lines_of([product(1, variants=[])]), tenant_id=tid)
    assert count(db, "select count(*) from commerce.retired_handles where tenant_id = %s", tid) == 0


def test_commit_every_chunk_keeps_the_chunks_before_the_bad_one(db):
    tid = _setup_tenant(db, "shop-d")
    text = lines_of([product(1), product(2), product(3, handle="BAD")])
    with pytest.raises(imports.ImportFailed, match="line 3"):
        imports.import_products(db, text, tenant_id=tid, chunk_size=2, commit_every_chunk=True)
    assert count(db, "select count(*) from commerce.products where tenant_id = %s", tid) == 2


def test_a_tenant_cannot_import_into_another(db):
    a = _setup_tenant(db, "shop-e")
    b = _setup_tenant(db, "shop-f")
    db.execute("insert into commerce.categories (tenant_id, name, handle) values (%s, 'Only B', 'only-b')", (b,))
    b_admin = make_user(db, b, role="admin")["id"]
    a_customer = make_user(db, a, role="customer")["id"]

    # staff of B with A's tenant set hold no role in A: refused, nothing written anywhere
    with pytest.raises(imports.ImportFailed, match="permission catalog:write is required"):
        imports.import_products(db, lines_of([product(1)]), tenant_id=a, user_id=b_admin)
    # a customer of A may not import into A either
    with pytest.raises(imports.ImportFailed, match="permission catalog:write is required"):
        imports.import_products(db, lines_of([product(1)]), tenant_id=a, user_id=a_customer)
    # references resolve in the importing tenant only: B's category is unknown to A
    with pytest.raises(imports.ImportFailed, match='line 1: categories: the shop has no category with the handle "only-b"'):
        imports.import_products(db, lines_of([product(1, categories=["only-b"])]), tenant_id=a)
    assert count(db, "select count(*) from commerce.products") == 0

    # B's handles and SKUs do not collide with A's: each import writes its own tenant's rows only
    imports.import_products(db, lines_of([product(1)]), tenant_id=b, user_id=b_admin)
    imports.import_products(db, lines_of([product(1)]), tenant_id=a)
    assert db.execute("select tenant_id, count(*) from commerce.products group by 1 order by 1").fetchall() == \
        sorted([(a, 1), (b, 1)])
    for table in ("commerce.variants", "commerce.prices", "commerce.variant_options", "commerce.inventory_levels",
                  "content.taggables", "commerce.product_categories"):
        rows = dict(db.execute(f"select tenant_id, count(*) from {table} group by 1").fetchall())
        assert rows[a] == rows[b] > 0, table
    # and each product points at its own tenant's categories and tags
    assert count(db, """select count(*) from commerce.product_categories pc join commerce.categories c
                        on c.id = pc.category_id where c.tenant_id <> pc.tenant_id""") == 0


def test_the_flag_cannot_be_raised_by_the_application(db):
    tid = _setup_tenant(db, "shop-g")
    with db.transaction():
        db.execute("set local role rustok_app")
        db.execute("select core.set_tenant(%s)", (tid,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute("insert into core.import_runs (tenant_id, kind) values (%s, 'products')", (tid,))
    with db.transaction():
        db.execute("set local role rustok_app")
        db.execute("select core.set_tenant(%s)", (tid,))
        db.execute("insert into commerce.products (tenant_id, title, handle) values (%s, 'Plain', 'plain')", (tid,))
        assert db.execute("select core._import_active()").fetchone()[0] is False
    assert count(db, "select count(*) from outbox.events where tenant_id = %s and event_type = 'ProductCreated'", tid) == 1


# ---------------------------------------------------------------- same read model as the row-by-row API

def _row_by_row(conn: psycopg.Connection, tid: uuid.UUID, doc: dict) -> None:
    """The product through the API functions one call at a time (what the admin does product by product)."""
    with conn.transaction():
        conn.execute("set local role rustok_app")
        conn.execute("select core.set_tenant(%s)", (tid,))
        base = {k: v for k, v in doc.items() if k not in ("options", "categories", "tags")}
        base["variants"] = [{k: v for k, v in var.items() if k != "options"} for var in doc["variants"]]
        pid = conn.execute("select commerce.create_product(%s)", (Jsonb(base),)).fetchone()[0]
        conn.execute("select commerce.set_product_options(%s, %s)", (pid, Jsonb(doc["options"])))
        for var in doc["variants"]:
            vid = conn.execute("select id from commerce.variants where tenant_id = %s and sku = %s",
                               (tid, var["sku"])).fetchone()[0]
            conn.execute("select commerce.set_variant_options(%s, %s)", (vid, Jsonb(var["options"])))
        cats = [r[0] for r in conn.execute("select id from commerce.categories where tenant_id = %s and handle = any(%s)",
                                           (tid, doc["categories"]))]
        conn.execute("select commerce.set_product_categories(%s, %s)", (pid, cats))
        conn.execute("select content.set_tags('product', %s, %s)", (pid, doc["tags"]))


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _read_model(conn: psycopg.Connection, tid: uuid.UUID) -> dict:
    """index.products and index.product_prices by handle, without ids and times (they differ by construction)."""
    rows = {}
    for row in conn.execute(
            """select p.handle, to_jsonb(p) - '{tenant_id, product_id, created_at, updated_at, last_event_id,
                      last_event_type, last_event_at, indexed_at, category_ids}'::text[] as r,
                      (select jsonb_agg(to_jsonb(x) - '{tenant_id, product_id}'::text[] order by x.currency_code)
                       from index.product_prices x where x.tenant_id = p.tenant_id and x.product_id = p.product_id) as prices
               from index.products p where p.tenant_id = %s""", (tid,)):
        rows[row[0]] = json.loads(_UUID.sub("<id>", json.dumps({"row": row[1], "prices": row[2]}, sort_keys=True)))
    return rows


def _import(db, path: str, docs: list[dict], tenant_id, **kw):
    """Import on the fast path (triggers and foreign-key checks off, done per statement by the function) or, with
    session_replication_role = local (the function then keeps every trigger on), on the path with triggers."""
    if path == "fast":
        return imports.import_products(db, lines_of(docs), tenant_id=tenant_id, **kw)
    with db.transaction():
        db.execute("set local session_replication_role = local")
        return imports.import_products(db, lines_of(docs), tenant_id=tenant_id, **kw)


@pytest.mark.skipif(bool(os.environ.get("RUSTOK_TEST_DATABASE_URL")), reason="an external server grants what it grants")
def test_the_test_server_allows_the_fast_path(db):
    # `rustok db start` (and so the embedded test cluster) grants the owner session_replication_role
    assert db.execute("select has_parameter_privilege('session_replication_role', 'SET')").fetchone()[0] is True


@pytest.mark.parametrize("path", ["fast", "triggers"])
def test_read_model_is_identical_to_row_by_row_writes(db, path):
    one = _setup_tenant(db, "by-rows")
    two = _setup_tenant(db, "by-import")
    docs = [product(n) for n in range(1, 13)]
    for doc in docs:
        _row_by_row(db, one, doc)
    _import(db, path, docs, two, chunk_size=5)
    # the write tables hold the same rows either way (ids and times aside)
    for table, cols in [("commerce.variants", "sku, title, weight, position, manage_inventory, allow_backorder"),
                        ("commerce.prices p join commerce.variants v on v.tenant_id = p.tenant_id and v.id = p.variant_id",
                         "v.sku, p.amount, p.currency_code, p.min_quantity"),
                        ("commerce.option_values", "value, position"),
                        ("commerce.inventory_levels", "stocked_quantity, reserved_quantity")]:
        tenant_col = "v.tenant_id" if " v " in table else "tenant_id"
        rows = [sorted(db.execute(f"select {cols} from {table} where {tenant_col} = %s", (t,)).fetchall())
                for t in (one, two)]
        assert rows[0] == rows[1] and rows[0], table
    row_events = count(db, "select count(*) from outbox.events where tenant_id = %s and aggregate_type = 'product'", one)
    import_events = count(db, "select count(*) from outbox.events where tenant_id = %s and aggregate_type = 'product'", two)
    assert import_events == len(docs) < row_events

    drained = db.execute("select * from outbox.drain('index')").fetchone()
    assert drained[3] == 0, drained   # nothing failed
    by_rows, by_import = _read_model(db, one), _read_model(db, two)
    assert len(by_rows) == len(docs)
    assert by_import == by_rows
    # the read rows really carry the imported facts
    shirt = by_import["shirt-1"]["row"]
    assert shirt["variant_count"] == 2 and shirt["total_stock"] == 8 and shirt["status"] == "published"
    assert sorted(shirt["tag_slugs"]) == ["batch-1", "summer"] and shirt["category_handles"] == ["shirts"]


# ---------------------------------------------------------------- the command

def test_cli_imports_a_file_and_reports_a_bad_line(fresh_db, tmp_path, monkeypatch, capsys):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        tid = _setup_tenant(conn, "cli-shop")
        make_user(conn, tid, email="staff@cli.example", role="admin")
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    good = tmp_path / "products.jsonl"
    good.write_text("\n".join(lines_of([product(n) for n in range(1, 5)])) + "\n")
    assert cli.main(["import", "products", str(good), "--tenant", "cli-shop", "--user", "staff@cli.example"]) == 0
    out, err = capsys.readouterr()
    assert "imported 4 products (8 variants, 16 prices) into cli-shop" in out
    assert "imported 4/4 products (100%)" in err

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(product(10)) + "\n" + json.dumps(product(11, title="")) + "\n")
    assert cli.main(["import", "products", str(bad), "--tenant", "cli-shop"]) == 1
    out, err = capsys.readouterr()
    assert "line 2: title: is required" in err and "nothing was written" in err
    with psycopg.connect(fresh_db) as conn:
        assert count(conn, "select count(*) from commerce.products where tenant_id = %s", tid) == 4


# ---------------------------------------------------------------- what the fast path stands in for

# The fast path turns every trigger of these tables off (session_replication_role = replica) and does their work
# itself, per statement. A trigger or foreign key added to one of them must be reviewed against
# commerce.import_products (sql/code/commerce/import.sql) before it is added here.
IMPORTED_TABLES = ("commerce.products", "commerce.options", "commerce.option_values", "commerce.variants",
                   "commerce.variant_options", "commerce.prices", "commerce.inventory_items",
                   "commerce.variant_inventory", "commerce.inventory_levels", "commerce.product_categories",
                   "content.taggables")
REVIEWED_TRIGGERS = {
    "_100_timestamps": "created_at = updated_at = now() given in each insert",
    "_050_fill": "variant_options.option_id and product_id given",
    "_200_unique_combination_ins": "option combinations checked in the validation pass (new products only)",
    "_200_reserved_within_stock": "reserved_quantity is 0",
    "_200_check_targets_ins": "taggables' targets are the chunk's own new products",
    "_210_check_product_targets_ins": "same",
    "_300_assert_module_ins": "commerce (and content for tags) asserted by the function",
    "_900_events_ins": "one ProductCreated per product written by the function",
    "_800_cleanup_content": "delete only",
    "_800_unretire_ins": "the function deletes the imported handles from commerce.retired_handles",
}
REVIEWED_FOREIGN_KEYS = {
    # to rows of the same chunk (ids made by the function)
    "options_product_id_fkey", "option_values_option_id_fkey", "variants_product_id_fkey",
    "variant_options_option_id_fkey", "variant_options_option_value_id_fkey", "variant_options_variant_id_fkey",
    "prices_variant_id_fkey", "variant_inventory_inventory_item_id_fkey", "variant_inventory_variant_id_fkey",
    "inventory_levels_inventory_item_id_fkey", "product_categories_product_id_fkey",
    "prices_price_list_id_fkey",  # always null
    # to rows that existed before: locked FOR KEY SHARE in one statement per table
    "products_tenant_id_fkey", "options_tenant_id_fkey", "option_values_tenant_id_fkey", "variants_tenant_id_fkey",
    "variant_options_tenant_id_fkey", "prices_tenant_id_fkey", "inventory_items_tenant_id_fkey",
    "variant_inventory_tenant_id_fkey", "inventory_levels_tenant_id_fkey", "product_categories_tenant_id_fkey",
    "prices_currency_code_fkey", "inventory_levels_location_id_fkey", "product_categories_category_id_fkey",
    "taggables_tag_fkey",
}


def test_every_trigger_and_foreign_key_the_fast_path_skips_is_reviewed(db):
    triggers = {r[0] for r in db.execute(
        "select t.tgname from pg_trigger t where not t.tgisinternal and t.tgrelid = any(%s::regclass[]) "
        "and t.tgtype & 4 = 4", (list(IMPORTED_TABLES),))}                       # fires on INSERT
    assert triggers - set(REVIEWED_TRIGGERS) == set(), "review these triggers against commerce.import_products"
    always = db.execute("select t.tgname from pg_trigger t where t.tgrelid = any(%s::regclass[]) "
                        "and t.tgenabled <> 'O'", (list(IMPORTED_TABLES),)).fetchall()
    assert always == []
    fks = {r[0] for r in db.execute("select conname from pg_constraint where contype = 'f' "
                                    "and conrelid = any(%s::regclass[])", (list(IMPORTED_TABLES),))}
    assert fks == REVIEWED_FOREIGN_KEYS


def test_a_conflict_with_a_concurrent_writer_is_reported_with_the_chunks_lines(fresh_db):
    """A handle another session writes while the import runs (invisible to the validation pass) is refused by the
    unique index; the error names the chunk's lines and the key, and nothing of the import is written."""
    import threading
    import time

    with psycopg.connect(fresh_db, autocommit=True) as admin:
        tid = _setup_tenant(admin, "shop-race")
    with psycopg.connect(fresh_db) as other, psycopg.connect(fresh_db, autocommit=True) as importer:
        other.execute("insert into commerce.products (tenant_id, title, handle) values (%s, 'Theirs', 'shirt-2')", (tid,))
        failure: list[BaseException] = []

        def run() -> None:
            try:
                imports.import_products(importer, lines_of([product(1), product(2)]), tenant_id=tid)
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                failure.append(exc)

        worker = threading.Thread(target=run)
        worker.start()
        time.sleep(1.5)            # the import waits on the uncommitted handle in the unique index
        other.commit()
        worker.join(30)
        assert len(failure) == 1 and isinstance(failure[0], imports.ImportFailed), failure
        message = str(failure[0])
        assert message.startswith("lines 1-2: the database refused the chunk: duplicate key value") and "shirt-2" in message
        assert count(importer, "select count(*) from commerce.products where tenant_id = %s", tid) == 1


def test_parallel_chunks_on_several_connections(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as db:
        tid = _setup_tenant(db, "shop-jobs")
        docs = [product(n, tags=["Summer", f"New {n % 3}"]) for n in range(1, 10)]   # new tags in several chunks
        connect = lambda: psycopg.connect(fresh_db, autocommit=True)  # noqa: E731
        with pytest.raises(imports.RustokError, match="commit_every_chunk"):
            imports.import_products(db, lines_of(docs), tenant_id=tid, jobs=2, connect=connect)
        result = imports.import_products(db, lines_of(docs), tenant_id=tid, chunk_size=2, commit_every_chunk=True,
                                         jobs=3, connect=connect)
        assert (result.products, result.chunks) == (9, 5)
        assert count(db, "select count(*) from commerce.products where tenant_id = %s", tid) == 9
        assert count(db, "select count(*) from content.tags where tenant_id = %s and slug like 'new-%%'", tid) == 3
        assert count(db, "select count(*) from content.taggables where tenant_id = %s", tid) == 18

        bad = [product(n) for n in range(20, 26)]
        bad[3]["variants"][0]["prices"][0]["currencyCode"] = "XYZ"      # line 4, the second chunk
        with pytest.raises(imports.ImportFailed, match=r"^line 4: variants\[0\]\.prices\[0\]"):
            imports.import_products(db, lines_of(bad), tenant_id=tid, chunk_size=2, commit_every_chunk=True,
                                    jobs=2, connect=connect)
        handles = {r[0] for r in db.execute("select handle from commerce.products where tenant_id = %s "
                                            "and handle like 'shirt-2_'", (tid,))}
        assert "shirt-23" not in handles and "shirt-22" not in handles     # the failing chunk wrote nothing


def test_default_location_made_concurrently_is_left_unlocked(fresh_db):
    """CI saw parallel import chunks deadlock: a chunk whose commerce._default_location met the location another
    chunk had just made updated it on conflict (a row lock held to commit) and then waited for tag locks held by
    a third chunk, which waited for that row lock (FOR KEY SHARE). The function must leave the row unlocked."""
    import threading

    with psycopg.connect(fresh_db, autocommit=True) as admin:
        tid = _setup_tenant(admin, "shop-location")
    with psycopg.connect(fresh_db) as maker, psycopg.connect(fresh_db) as racer, \
            psycopg.connect(fresh_db, autocommit=True) as third:
        made = maker.execute("select commerce._default_location(%s)", (tid,)).fetchone()[0]   # not yet committed
        found: list = []
        waiter = threading.Thread(target=lambda: found.append(
            racer.execute("select commerce._default_location(%s)", (tid,)).fetchone()[0]))
        waiter.start()
        waiter.join(1.0)
        assert not found                  # the racer waits on the uncommitted row, as the unique index makes it
        maker.commit()
        waiter.join(10)
        assert found == [made]            # one location, the racer finds the committed one
        third.execute("set lock_timeout = '2s'")
        # the racer's transaction is still open: a chunk taking its key-share lock must not wait for it
        assert third.execute("select count(*) from (select 1 from commerce.stock_locations where tenant_id = %s "
                             "for key share) x", (tid,)).fetchone()[0] == 1
        racer.rollback()
