"""Privilege review (issue 10 item 6): every `security definer` function is listed here with the roles that
may execute it and why. A definer function runs as the owner, past row-level security, so each one either
checks the caller's tenant itself or is not executable by the application and analyst roles. The test
fails on a definer function that is not listed, and on a grant the list does not expect."""

from __future__ import annotations

import psycopg
import pytest

SCHEMAS = ["core", "content", "community", "commerce", "outbox", "index", "analytics", "ops"]
APP, ANALYST = "rustok_app", "rustok_analyst"

# regprocedure -> roles (of APP, ANALYST) that may execute it, and the reason it is safe
DEFINER_FUNCTIONS: dict[str, tuple[set[str], str]] = {
    "core.module_enabled(uuid,text)": ({APP}, "the app's write triggers ask for the tenants of the rows they write; "
                                              "reveals only a module toggle of a tenant id the caller names"),
    "core.assert_module_enabled(uuid[],text)": ({APP}, "same as module_enabled; raises, returns nothing"),
    "commerce.import_products(integer[],jsonb[],text)": ({APP}, "bulk import: definer so that only it can write "
                                                         "core.import_runs (the triggers' flag); writes and looks up "
                                                         "only the caller's tenant, checks catalog:write (tags:manage)"),
    "core.tenant_id_by_slug(text)": ({APP}, "runs before a tenant is set; the id of an active slug the caller names"),
    "core.resolve_request(text,text)": ({APP}, "runs before a tenant is set; only the session whose token hash the caller holds"),
    "core.tenant_slug_by_host(text)": ({APP}, "runs before a tenant is set; the slug of the tenant (active or suspended) "
                                              "for a host the caller names"),
    "core.tenant_suspended(text)": ({APP}, "runs before a tenant is set; whether the slug the caller names is suspended"),
    # The platform operator (issue 12): every tenant, so not under one tenant's RLS; each checks platform:manage first.
    **{f: ({APP}, "platform operator: core.require_permission('platform:manage') first") for f in (
        "core.page_platform_tenants(text,jsonb,jsonb,integer,boolean)",
        "core.count_platform_tenants(text,integer)",
        "core.platform_tenant(uuid)",
        "core.platform_create_tenant(text,text,text,text,interval)",
        "core.platform_update_tenant(uuid,text,boolean)",
        "core.platform_add_domain(uuid,text)",
        "core.platform_remove_domain(uuid,text)",
    )},
    "outbox.caught_up(text,uuid)": ({APP}, "reads the queue, filtered to core.current_tenant_id()"),
    "core.analyst_tenant_id()": (set(), "per-tenant analysts only (rustok_tenant_analyst): the tenant of the session "
                                        "user's own login, for their RLS policies"),
    "core.login_throttle_check(text,text)": ({APP}, "login throttling: the address count spans tenants, and the app has "
                                                    "no privilege on core.login_attempts; returns only a wait in seconds "
                                                    "for core.current_tenant_id()'s account and the address named"),
    "core.login_failed(text,text,integer,integer,interval,interval,interval)": (
        {APP}, "login throttling: counts one failure for the current tenant's account and the address named"),
    "core.login_succeeded(text)": ({APP}, "login throttling: clears the current tenant's account count only"),
    "content.tg_nodes__revisions()": (set(), "trigger function"),
    "content.tg_bodies__revisions()": (set(), "trigger function"),
    "community.tg_reactions__reputation()": (set(), "trigger function"),
    "index.tg_products__facet_cache()": (set(), "trigger function"),
    "index.tg_products__facet_cache_truncate()": (set(), "trigger function"),
    "index.tg_product_search__tallies()": (set(), "trigger function"),
    "index._facet_cache_invalidate(uuid[])": (set(), "empties any tenant's cache; its triggers only"),
    "index._search_cache_invalidate(uuid[])": (set(), "empties any tenant's cached listings; its triggers only"),
    "index.rebuild_products(uuid[],uuid)": (set(), "operator function: rebuilds any tenant"),
    "index.rebuild_content(uuid[],uuid)": (set(), "operator function: rebuilds any tenant"),
    "index.rebuild_orders(uuid[],uuid)": (set(), "operator function: rebuilds any tenant"),
    "outbox.tenant_backlog()": ({APP}, "admin operations screen: checks ops:manage, counts only the current tenant's events"),
    "outbox.page_dead_letters(jsonb,jsonb,integer,boolean)": ({APP}, "admin operations screen: checks ops:manage, the "
                                                                     "current tenant's dead letters"),
    "outbox.count_dead_letters(integer)": ({APP}, "admin operations screen: checks ops:manage, counts the current "
                                                  "tenant's dead letters"),
    "outbox.tenant_retry_dead(uuid[])": ({APP}, "admin operations screen: checks ops:manage, retries the current tenant's only"),
    "outbox.tenant_health()": ({APP}, "admin operations screen: checks ops:manage, the installation's ops.health() rows "
                                      "(figures and advice, no other tenant's data)"),
    "index.page_verify(jsonb,jsonb,integer,boolean)": ({APP}, "admin operations screen: checks ops:manage, index.verify "
                                                               "of the current tenant"),
    "index.count_verify(integer)": ({APP}, "admin operations screen: checks ops:manage, counts index.verify of the "
                                           "current tenant"),
    "content.media_file(text,uuid)": ({APP}, "GET /media/<id>: an uploaded file of the tenant named by slug (the "
                                             "request's X-Tenant, host or /t/<slug>/ path); type, hash, key, bytes only"),
    "index.tenant_reindex()": ({APP}, "admin operations screen: checks ops:manage, reindex requests for the current tenant"),
    # Storefront reads (issue 13): definer so that @@ and the array filters are index conditions under RLS; each
    # reads only the tenant index._visible_tenant allows (the transaction's, or any for a role bypassing RLS).
    **{f: ({APP}, "storefront read: only the tenant of core.current_tenant_id() (index._visible_tenant)") for f in (
        "index.product_query(uuid,text,jsonb,text,boolean)",
        "index.page_products(uuid,tsquery,jsonb,text,text,boolean,jsonb,jsonb,integer,boolean)",
        "index.count_products(uuid,tsquery,jsonb,text,boolean,integer)",
        "index.content_query(uuid,text,jsonb,boolean)",
        "index.page_content(uuid,tsquery,jsonb,text,boolean,jsonb,jsonb,integer,boolean)",
        "index.count_content(uuid,tsquery,jsonb,boolean,integer)",
        "index.page_search(uuid,text,boolean,jsonb,jsonb,integer,boolean)",
        "index.count_search(uuid,text,boolean,integer)",
        "index.search_correction(uuid,text,boolean)",
        "index.search_products(uuid,text,jsonb,text,integer,integer,text,boolean)",
    )},
    "index.read_products_page(text,text,jsonb,text,text,jsonb,jsonb,integer,boolean,boolean,boolean)": (
        {APP}, "anonymous storefront read (compiled path): the tenant of a public slug, published products only"),
    "index.read_products_landing(text,jsonb,text,jsonb,integer,boolean,boolean)": (
        {APP}, "anonymous storefront landing page (compiled path): the tenant of a public slug, published products "
               "only, card columns"),
}


@pytest.fixture(scope="module")
def definers(pg, template_db):
    with psycopg.connect(pg.url(template_db), autocommit=True) as c:
        return {r[0]: {role for role, ok in ((APP, r[1]), (ANALYST, r[2])) if ok} for r in c.execute(
            """select p.oid::regprocedure::text, has_function_privilege(%s, p.oid, 'execute'),
                      has_function_privilege(%s, p.oid, 'execute')
               from pg_proc p join pg_namespace n on n.oid = p.pronamespace
               where p.prosecdef and n.nspname = any(%s)""", (APP, ANALYST, SCHEMAS)).fetchall()}


def test_every_definer_function_is_reviewed(definers):
    unlisted = sorted(set(definers) - set(DEFINER_FUNCTIONS))
    assert unlisted == [], f"security definer functions without a review entry here: {unlisted}"
    gone = sorted(set(DEFINER_FUNCTIONS) - set(definers))
    assert gone == [], f"listed but no longer security definer (remove from the list): {gone}"


def test_definer_functions_are_executable_only_by_the_expected_roles(definers):
    wrong = {f: (sorted(got), sorted(DEFINER_FUNCTIONS[f][0])) for f, got in definers.items()
             if f in DEFINER_FUNCTIONS and got != DEFINER_FUNCTIONS[f][0]}
    assert wrong == {}, f"function: (roles that may execute it, roles expected): {wrong}"


def test_app_cannot_call_operator_definers(fresh_db):
    with psycopg.connect(fresh_db) as c:
        c.execute("set role rustok_app")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("select index._facet_cache_invalidate(array[core.new_id()])")
        c.rollback()
        c.execute("set role rustok_app")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("select index._search_cache_invalidate(array[core.new_id()])")
        c.rollback()
        c.execute("set role rustok_analyst")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("select index.rebuild_products(array[core.new_id()])")
