"""Upgrade path: a database migrated with the previous layout (migrations 0001-0057 only, functions and all
defined by them) and holding data in every module upgrades with `rustok migrate` to exactly a fresh install's
catalog, keeping every row, and its read model still verifies."""

from __future__ import annotations

import psycopg
from psycopg import sql

from rustok import catalog, migrate
from rustok.schema_snapshot import dump
from tests.migrations.conftest import newer_migrations

SCHEMAS = "('core', 'content', 'community', 'commerce', 'outbox', 'index', 'analytics', 'ops')"

# Data in every module, written through the API functions of 0057 as the owner (one transaction).
SEED = """
insert into core.tenants (name, slug, settings) values ('Upgrade Shop', 'upgrade-shop', '{"low_stock_threshold": 2}');
select core.set_tenant(core.tenant_id_by_slug('upgrade-shop'));
insert into core.tenant_modules (tenant_id, module_slug, enabled) values (core.current_tenant_id(), 'blog', true);
insert into core.users (tenant_id, email, password_hash, display_name, role)
values (core.current_tenant_id(), 'writer@upgrade.example', 'x', 'Wendy Writer', 'author'),
       (core.current_tenant_id(), 'buyer@upgrade.example', 'x', 'Bo Buyer', 'customer');
insert into core.sessions (tenant_id, user_id, token_hash, expires_at)
select u.tenant_id, u.id, repeat('ab', 32), now() + interval '1 day' from core.users u where u.email = 'buyer@upgrade.example';

-- commerce: categories, products with variants, options, prices (base and a price list) and stock
insert into commerce.categories (tenant_id, name, handle) values (core.current_tenant_id(), 'Apparel', 'apparel');
select commerce.create_product(
    '{"title": "Classic Tee", "handle": "classic-tee", "status": "published", "description": "Organic cotton.",
      "variants": [{"title": "S", "sku": "TEE-S", "prices": [{"amount": 1999, "currencyCode": "EUR"}], "stock": 20},
                   {"title": "M", "sku": "TEE-M", "prices": [{"amount": 2199, "currencyCode": "EUR"}], "stock": 5}]}');
select commerce.create_product(
    '{"title": "Mug", "handle": "mug", "status": "published",
      "variants": [{"title": "Default", "sku": "MUG-1", "prices": [{"amount": 1200, "currencyCode": "EUR"}], "stock": 40}]}');
insert into commerce.product_categories (tenant_id, product_id, category_id)
select p.tenant_id, p.id, c.id from commerce.products p, commerce.categories c where p.handle = 'classic-tee';
insert into commerce.options (tenant_id, product_id, title)
select p.tenant_id, p.id, 'Size' from commerce.products p where p.handle = 'classic-tee';
insert into commerce.option_values (tenant_id, option_id, value)
select o.tenant_id, o.id, v from commerce.options o, unnest(array['S', 'M']) as v;
insert into commerce.variant_options (tenant_id, variant_id, option_value_id)
select v.tenant_id, v.id, ov.id from commerce.variants v join commerce.option_values ov on ov.value = v.title
where v.sku like 'TEE-%';
insert into commerce.price_lists (tenant_id, title, type, status) values (core.current_tenant_id(), 'VIP', 'sale', 'active');
insert into commerce.price_list_rules (tenant_id, price_list_id, attribute, "values")
select tenant_id, id, 'customer_group', array['vip'] from commerce.price_lists;
insert into commerce.prices (tenant_id, variant_id, amount, currency_code, price_list_id)
select v.tenant_id, v.id, 999, 'EUR', l.id from commerce.variants v, commerce.price_lists l where v.sku = 'MUG-1';

-- an order (reserves stock), then paid
select commerce.set_order_status(o.tenant_id, o.id, 'paid')
from commerce.place_order(core.current_tenant_id(), 'EUR',
        (select jsonb_agg(jsonb_build_object('variant_id', v.id, 'quantity', 2)) from commerce.variants v where v.sku in ('TEE-S', 'MUG-1')),
        p_customer_id => (select id from core.users where email = 'buyer@upgrade.example'),
        p_email => 'buyer@upgrade.example') as o;

-- content: a category, a page and a post with bodies, tags on the post and on a product, meta, media, comments
insert into content.categories (tenant_id, name) values (core.current_tenant_id(), 'News');
select content.create_node(v.doc, (select id from core.users where email = 'writer@upgrade.example'))
from (values ('{"kind": "page", "title": "About", "status": "published", "publishedAt": "2026-01-01T00:00:00Z",
                "body": "We make things."}'::jsonb),
             ('{"kind": "post", "title": "Hello", "status": "published", "publishedAt": "2026-02-01T00:00:00Z",
                "excerpt": "First post.", "body": "Welcome to the **blog**."}'::jsonb)) as v(doc);
update content.nodes set category_id = (select id from content.categories), title = 'Hello, world'
where kind = 'post';                                                          -- a revision
insert into content.tags (tenant_id, name) values (core.current_tenant_id(), 'Launch'), (core.current_tenant_id(), 'Cotton');
select content.attach_tags(array(select id from content.tags where name = 'Launch'), 'node',
                           array(select id from content.nodes where kind = 'post'));
select content.attach_tags(array(select id from content.tags where name = 'Cotton'), 'product',
                           array(select id from commerce.products where handle = 'classic-tee'));
insert into content.meta (tenant_id, target_type, target_id, title)
select tenant_id, 'node', id, 'Hello | Upgrade Shop' from content.nodes where kind = 'post';
insert into content.media (tenant_id, url, mime_type) values (core.current_tenant_id(), 'https://cdn.example/a.png', 'image/png');
select content.add_comment(n.id, (select id from core.users where email = 'buyer@upgrade.example'), 'Nice!', 'markdown', 'approved')
from content.nodes n where n.kind = 'post';

-- community: a reaction (reputation for the writer) and a follow
insert into community.reactions (tenant_id, node_id, user_id, kind)
select n.tenant_id, n.id, u.id, 'like' from content.nodes n, core.users u
where n.kind = 'post' and u.email = 'buyer@upgrade.example';
insert into community.follows (tenant_id, follower_id, followed_user_id)
select b.tenant_id, b.id, w.id from core.users b, core.users w
where b.email = 'buyer@upgrade.example' and w.email = 'writer@upgrade.example';
"""

TABLES = f"""
select n.nspname, c.relname
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname in {SCHEMAS} and c.relkind in ('r', 'p') and not c.relispartition
order by 1, 2"""


def counts(url: str) -> dict[str, int]:
    """Rows per table of our schemas (a partitioned table counts its partitions' rows)."""
    with psycopg.connect(url) as conn:
        return {f"{s}.{t}": conn.execute(sql.SQL("select count(*) from {}.{}").format(
                    sql.Identifier(s), sql.Identifier(t))).fetchone()[0]
                for s, t in conn.execute(TABLES).fetchall()}


def test_previous_layout_upgrades_to_a_fresh_install(pg, template_db, previous_db):
    with psycopg.connect(previous_db) as conn:
        conn.execute(SEED)
        conn.commit()
        conn.execute("select outbox.drain('index')")
        conn.commit()
        # after the drain: a change still queued for the index, so deliveries cross the upgrade too
        conn.execute("update commerce.products set subtitle = 'Still queued' where handle = 'mug'")
        # and a delivery whose event row is gone (its partition dropped by hand): no tenant to copy (migration 0150)
        conn.execute("insert into outbox.deliveries (consumer, event_id, occurred_at, event_type) "
                     "values ('index', '00000000-0000-0000-0000-0000000000e0', now(), 'ProductUpdated')")
        conn.commit()
    before = counts(previous_db)
    empty = sorted(t for t, n in before.items() if n == 0)
    # every module holds data (reference tables hold theirs from the migrations)
    for table in ("core.tenants", "core.users", "core.sessions", "core.tenant_modules", "content.nodes",
                  "content.bodies", "content.tags", "content.taggables", "content.revisions", "content.meta",
                  "content.media", "content.categories", "community.reactions", "community.follows",
                  "community.reputation", "commerce.products", "commerce.variants", "commerce.prices",
                  "commerce.inventory_levels", "commerce.orders", "commerce.order_items",
                  "commerce.order_reservations", "commerce.variant_options", "commerce.price_list_rules",
                  "outbox.events", "outbox.deliveries", "index.products", "index.content", "index.orders",
                  "index.product_prices", "index.words"):
        assert before[table] > 0, f"{table} is empty before the upgrade (empty: {empty})"
    assert "ops.code_tree_state" not in before

    newer = newer_migrations()
    assert newer[0] == "0058_ops_code_tree_state"
    assert migrate.pending(previous_db) == [*newer, migrate.CODE_TREE_PENDING]
    assert migrate.apply(previous_db) == newer
    assert migrate.pending(previous_db) == []

    after = counts(previous_db)
    # tables made by the newer migrations, with the rows those migrations insert
    created = {t: after.pop(t) for t in sorted(set(after) - set(before))}
    assert created == {"core.analyst_tenants": 0, "core.login_attempts": 0, "ops.code_tree_state": 1,
                       "ops.health_settings": 1, "core.permissions": 17, "core.role_permissions": 44,
                       "commerce.inventory_adjustments": 0, "core.tenant_domains": 0, "commerce.carts": 0,
                       "commerce.cart_lines": 0, "content.media_data": 0, "commerce.product_images": 0,
                       "commerce.retired_handles": 0, "content.retired_slugs": 0, "commerce.guest_order_tokens": 0,
                       "index.product_search": after["index.products"],   # backfilled from the read rows
                       "core.account_tokens": 0, "core.login_address_attempts": 0, "core.import_runs": 0,
                       "content.node_images": 0, "index.search_cache": 0, "index.product_fingerprints": 0,
                       "index.search_tallies": 0,
                       "index.words_stale": after["core.tenants"]}   # every tenant marked once (0210)
    # the code tree registers the consumer `mail` (account mails, sql/code/outbox/mail.sql)
    assert after.pop("outbox.consumers") == before.pop("outbox.consumers") + 1
    assert after == before

    differences = catalog.diff(dump(pg.url(template_db)), dump(previous_db))
    assert differences == [], catalog.render_diff(differences, "fresh install", "upgraded")

    with psycopg.connect(previous_db) as conn:
        tenant = conn.execute("select core.tenant_id_by_slug('upgrade-shop')").fetchone()[0]
        # migration 0150: every delivery carries its event's tenant, the orphan the nil uuid
        assert conn.execute("select count(*) from outbox.deliveries d join outbox.events e on e.id = d.event_id "
                            "and e.occurred_at = d.occurred_at where d.tenant_id = e.tenant_id").fetchone()[0] == 1
        assert conn.execute("select tenant_id::text from outbox.deliveries where event_id = "
                            "'00000000-0000-0000-0000-0000000000e0'").fetchone()[0] == "00000000-0000-0000-0000-000000000000"
        drained = conn.execute("select succeeded, failed, dead from outbox.drain('index')").fetchone()
        assert drained == (1, 1, 0)   # the change queued before the upgrade, processed by the new code; the orphan fails
        assert conn.execute("select last_error from outbox.deliveries").fetchone()[0].startswith("P0002: event row not found")
        assert conn.execute("select * from index.verify(%s)", (tenant,)).fetchall() == []
        assert conn.execute("select subtitle from index.products where handle = 'mug'").fetchone()[0] == "Still queued"
