"""The permission matrix: every role against every permission that has an operation, over HTTP (allowed and
refused), the same matrix in the database (core.role_permissions) and enforced there from psql, and
`me { permissions }`."""

from __future__ import annotations

import itertools

import psycopg
import pytest

from tests.graphql.conftest import login, new_tenant, new_user

ROLES = ["admin", "manager", "editor", "author", "customer", "anonymous"]
# the documented matrix (docs/graphql.md); anonymous holds nothing
MATRIX = {
    "admin": {"catalog:write", "orders:read_all", "orders:write", "orders:place", "content:read_drafts",
              "content:write_own", "content:write_all", "content:publish", "content:moderate", "content:comment",
              "tags:manage", "community:react", "events:read", "users:manage", "modules:manage", "ops:manage"},
    "manager": {"catalog:write", "orders:read_all", "orders:write", "orders:place", "content:read_drafts",
                "content:write_own", "content:comment", "tags:manage", "community:react", "events:read"},
    "editor": {"orders:place", "content:read_drafts", "content:write_own", "content:write_all", "content:publish",
               "content:moderate", "content:comment", "tags:manage", "community:react", "events:read"},
    "author": {"orders:place", "content:read_drafts", "content:write_own", "content:comment", "community:react"},
    "customer": {"orders:place", "content:comment", "community:react"},
    "anonymous": set(),
}


@pytest.fixture(scope="module")
def people(gql, owner, api_db):
    slug = new_tenant(owner)
    tokens = {}
    for role in ROLES[:-1]:
        new_user(owner, slug, f"{role}@perm.example", role)
        tokens[role] = login(gql, slug, f"{role}@perm.example")
    tokens["anonymous"] = None
    admin = tokens["admin"]
    new_user(owner, slug, "victim@perm.example", "customer")
    victim = owner.execute("select id from core.users where email = 'victim@perm.example'").fetchone()[0]
    product = gql('mutation { createProduct(input: {title: "Pen", handle: "pen", status: published, variants: '
                  '[{sku: "PEN", prices: [{amount: 100, currencyCode: "EUR"}], stock: 100000}]}) '
                  '{ product { id variants { id } } } }', tenant=slug, token=admin)["data"]["createProduct"]["product"]
    gql('mutation { createProduct(input: {title: "Secret", handle: "secret", status: draft}) { position } }',
        tenant=slug, token=admin)
    # a published post by the admin (others may comment on it, only content:write_all may edit it)
    post = gql('mutation { createNode(input: {kind: post, title: "Admin post"}) { node { id } } }', tenant=slug,
               token=admin)["data"]["createNode"]["node"]["id"]
    gql('mutation($i: [ID!]!) { publishNodes(ids: $i) { ids } }', {"i": [post]}, tenant=slug, token=admin)
    comment = gql('mutation($p: ID!) { addComment(parentId: $p, body: "first") { node { id } } }', {"p": post},
                  tenant=slug, token=tokens["customer"])["data"]["addComment"]["node"]["id"]
    order = gql('mutation($v: ID!) { placeOrder(input: {currencyCode: "EUR", items: [{variantId: $v, quantity: 1}]}) '
                '{ order { id } } }', {"v": product["variants"][0]["id"]}, tenant=slug,
                token=tokens["customer"])["data"]["placeOrder"]["order"]["id"]
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    return {"slug": slug, "tokens": tokens, "variant": product["variants"][0]["id"], "post": post, "order": order,
            "comment": comment, "victim": str(victim)}


def attempt(gql, people, role, query, variables=None) -> tuple[bool, dict]:
    """(allowed, body): refused means FORBIDDEN (signed in) or UNAUTHENTICATED (anonymous)."""
    resp = gql.client.post("/graphql", json={"query": query, "variables": variables or {}},
                           headers={"X-Tenant": people["slug"],
                                    **({"Authorization": f"Bearer {people['tokens'][role]}"} if people["tokens"][role] else {})})
    body = resp.json()
    errors = body.get("errors") or []
    if not errors:
        return True, body
    code = errors[0]["extensions"]["code"]
    expected = "UNAUTHENTICATED" if role == "anonymous" else "FORBIDDEN"
    assert code == expected, (role, query, errors)
    if role != "anonymous":
        assert "permission" in errors[0]["message"], errors
    return False, body


_counter = itertools.count()


def operations(people):
    """permission -> (query, variables) of one operation that needs it (a fresh target each call)."""
    n = next(_counter)
    return {
        "catalog:write": ('mutation($h: String!) { createProduct(input: {title: "X", handle: $h}) { position } }',
                          {"h": f"x-{n}"}),
        "orders:write": ('mutation($o: ID!) { setOrderStatus(id: $o, status: pending) { position } }',
                         {"o": people["order"]}),
        "orders:place": ('mutation($v: ID!) { placeOrder(input: {currencyCode: "EUR", items: [{variantId: $v, quantity: 1}]}) '
                         '{ position } }', {"v": people["variant"]}),
        "content:write_own": ('mutation($t: String!) { createNode(input: {kind: page, title: $t}) { position } }',
                              {"t": f"Page {n}"}),
        "content:write_all": ('mutation($i: ID!, $t: String!) { updateNode(id: $i, input: {excerpt: $t}) { position } }',
                              {"i": people["post"], "t": f"edit {n}"}),
        "content:publish": ('mutation($i: [ID!]!) { publishNodes(ids: $i) { ids } }', {"i": [people["post"]]}),
        "content:moderate": ('mutation($i: [ID!]!) { moderateComments(ids: $i, status: approved) { ids } }', {"i": [people["comment"]]}),
        "content:comment": ('mutation($p: ID!) { addComment(parentId: $p, body: "hi") { position } }', {"p": people["post"]}),
        "tags:manage": ('mutation($n: String!) { createTag(name: $n) { tag { id } } }', {"n": f"Tag {n}"}),
        "users:manage": ('mutation($u: ID!) { changeUserRole(userId: $u, role: customer) { user { role } } }',
                         {"u": people["victim"]}),
        "modules:manage": ('mutation { setModuleEnabled(module: "community", enabled: true) { module { enabled } } }', {}),
        "community:react": ('mutation($p: ID!) { react(nodeId: $p, kind: "like") { reacted } }', {"p": people["post"]}),
        "ops:manage": ("mutation { retryDeadLetters { count } }", {}),
        # the platform operator's: no tenant role holds it (tests/graphql/test_platform_api.py: who does)
        "platform:manage": ('mutation($s: String!) { createTenant(input: {name: "X", slug: $s}) { position } }',
                            {"s": f"perm-shop-{n}"}),
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_operation(gql, people, role):
    for permission, (query, variables) in operations(people).items():
        allowed, body = attempt(gql, people, role, query, variables)
        assert allowed == (permission in MATRIX[role]), (role, permission, body)


@pytest.mark.parametrize("role", ROLES)
def test_reads_follow_the_matrix(gql, people, role):
    # content:read_drafts: drafts are visible
    _, body = attempt(gql, people, role, '{ product(handle: "secret") { id } }')
    assert (body["data"]["product"] is not None) == ("content:read_drafts" in MATRIX[role])
    # orders:read_all: every customer's orders; others see only their own (the one order is the customer's)
    allowed, body = attempt(gql, people, role, "{ orders { totalCount nodes { id } } }")
    if role == "anonymous":
        assert not allowed
    else:
        expected = 1 if ("orders:read_all" in MATRIX[role] or role == "customer") else 0
        assert body["data"]["orders"]["totalCount"] == expected, (role, body)
        assert len(body["data"]["orders"]["nodes"]) == expected
        node = gql("query($i: ID!) { node(id: $i) { id } }", {"i": people["order"]}, tenant=people["slug"],
                   token=people["tokens"][role])["data"]["node"]
        assert (node is not None) == bool(expected)


@pytest.mark.parametrize("role", ROLES[:-1])
def test_me_lists_the_roles_permissions(gql, people, role):
    me = gql("{ me { role permissions } }", tenant=people["slug"], token=people["tokens"][role])["data"]["me"]
    assert me["role"] == role and set(me["permissions"]) == MATRIX[role]


def test_the_database_holds_the_same_matrix(owner):
    rows = owner.execute("select role, array_agg(permission) from core.role_permissions group by role").fetchall()
    assert {role: set(perms) for role, perms in rows} == {r: p for r, p in MATRIX.items() if p}


def test_an_author_edits_only_their_own_posts(gql, people):
    author = people["tokens"]["author"]
    slug = people["slug"]
    mine = gql('mutation { createNode(input: {kind: post, title: "Mine"}) { node { id } } }', tenant=slug,
               token=author)["data"]["createNode"]["node"]["id"]
    ok = gql('mutation($i: ID!) { updateNode(id: $i, input: {title: "Mine, edited"}) { node { title } } }', {"i": mine},
             tenant=slug, token=author)["data"]["updateNode"]["node"]
    assert ok["title"] == "Mine, edited"
    refused = gql('mutation($i: ID!) { updateNode(id: $i, input: {title: "Hijacked"}) { position } }', {"i": people["post"]},
                  tenant=slug, token=author, expect_errors=True)["errors"][0]
    assert refused["extensions"]["code"] == "FORBIDDEN" and "you authored" in refused["message"]
    editor = gql('mutation($i: ID!) { updateNode(id: $i, input: {title: "Edited by the editor"}) { node { title } } }',
                 {"i": mine}, tenant=slug, token=people["tokens"]["editor"])["data"]["updateNode"]["node"]
    assert editor["title"] == "Edited by the editor"


def test_the_database_enforces_it_for_the_application_role(people, api_db):
    """The API functions check the acting user's role themselves: called from psql as rustok_app with
    rustok.user_id set, an author may not create products or list every order."""
    with psycopg.connect(api_db) as conn:
        author = conn.execute("select id, tenant_id from core.users where email = 'author@perm.example'").fetchone()
        conn.execute("set local role rustok_app")
        conn.execute("select set_config('rustok.tenant_id', %s, true), set_config('rustok.user_id', %s, true)",
                     (str(author[1]), str(author[0])))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission catalog:write is required"):
            conn.execute("""select commerce.create_product('{"title": "T", "handle": "t-sql"}')""")
        conn.rollback()
    with psycopg.connect(api_db) as conn:
        conn.execute("set local role rustok_app")
        conn.execute("select set_config('rustok.tenant_id', %s, true), set_config('rustok.user_id', %s, true)",
                     (str(author[1]), str(author[0])))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="orders:read_all"):
            conn.execute("select * from index.page_orders(null, null, null, null, 10)")
        conn.rollback()
    with psycopg.connect(api_db) as conn:   # an anonymous API transaction holds nothing either
        conn.execute("set local role rustok_app")
        conn.execute("select set_config('rustok.tenant_id', %s, true), set_config('rustok.actor', 'api', true)",
                     (str(author[1]),))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="role none"):
            conn.execute("select content.create_tag('Nope')")


def test_an_author_cannot_edit_anothers_post_from_psql(people, api_db):
    """The same rule in the database: content.update_node / delete_node as the application role with an author's
    user id refuse another's post (42501) and accept the author's own."""
    with psycopg.connect(api_db) as conn:
        author = conn.execute("select id, tenant_id from core.users where email = 'author@perm.example'").fetchone()
        own = conn.execute("insert into content.nodes (tenant_id, kind, title, author_id) values (%s, 'post', 'Own', %s) "
                           "returning id", (author[1], author[0])).fetchone()[0]
        conn.commit()
    for call in ("select content.update_node(%s, '{\"title\": \"Hijacked\"}')", "select content.delete_node(%s)",
                 "select * from content.page_revisions(%s, null, null, 10)"):
        with psycopg.connect(api_db) as conn:
            conn.execute("set local role rustok_app")
            conn.execute("select set_config('rustok.tenant_id', %s, true), set_config('rustok.user_id', %s, true), "
                         "set_config('rustok.actor', 'api', true)", (str(author[1]), str(author[0])))
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="you may change only pages and posts you authored"):
                conn.execute(call, (people["post"],))
    with psycopg.connect(api_db) as conn:
        conn.execute("set local role rustok_app")
        conn.execute("select set_config('rustok.tenant_id', %s, true), set_config('rustok.user_id', %s, true), "
                     "set_config('rustok.actor', 'api', true)", (str(author[1]), str(author[0])))
        conn.execute("select content.update_node(%s, '{\"title\": \"Own, edited\"}')", (own,))
        assert conn.execute("select title from content.nodes where id = %s", (own,)).fetchone()[0] == "Own, edited"


# permission -> an SQL API call that needs it (as the application role, from psql); the call is refused for a role
# without the permission before it looks at its arguments (ids of nothing are fine)
SQL_CALLS = {
    "catalog:write": "select commerce.create_product('{\"title\": \"T\", \"handle\": \"t-sql-matrix\"}')",
    "orders:read_all": "select * from index.page_orders(null, null, null, null, 10)",
    "orders:write": "select commerce.change_order_status(core.new_id(), 'paid')",
    "orders:place": "select commerce.checkout('EUR', '[]')",
    "content:read_drafts": "select * from index.page_search(core.current_tenant_id(), 'x', true, null, null, 10)",
    "content:write_own": "select content.create_node('{\"kind\": \"page\", \"title\": \"P\"}')",
    "content:write_all": "select content.upsert_category(null, '{\"name\": \"N\"}')",
    "content:publish": "select * from content.publish_nodes(array[core.new_id()])",
    "content:moderate": "select * from content.moderate_comments(array[core.new_id()], 'approved')",
    "content:comment": "select content.add_comment(core.new_id(), core.current_user_id(), 'hi', 'markdown', 'pending')",
    "tags:manage": "select content.create_tag('Nope')",
    "community:react": "select community.react(core.new_id(), core.current_user_id(), 'like')",
    "events:read": "select * from outbox.events_since(now())",
    "users:manage": "select core.change_user(core.new_id(), 'customer')",
    "modules:manage": "select core.set_module_enabled('community', true)",
    "ops:manage": "select * from outbox.page_dead_letters(null, null, 10)",
    "platform:manage": "select core.count_platform_tenants(null)",
}


@pytest.mark.parametrize("role", ROLES[:-1])
def test_every_permission_is_enforced_in_sql_for_every_role(people, api_db, role):
    """Each permission of the matrix, called from psql as rustok_app signed in as each role: refused (42501) exactly
    when the role lacks it (a role that holds it gets past the check: any later refusal is about the arguments)."""
    assert set(SQL_CALLS) == set().union(*MATRIX.values()) | {"platform:manage"}
    with psycopg.connect(api_db, autocommit=True) as owner:
        user, tenant = owner.execute("select id, tenant_id from core.users where email = %s", (f"{role}@perm.example",)).fetchone()
    for permission, call in SQL_CALLS.items():
        with psycopg.connect(api_db) as conn:
            conn.execute("set local role rustok_app")
            conn.execute("select set_config('rustok.tenant_id', %s, true), set_config('rustok.user_id', %s, true), "
                         "set_config('rustok.actor', 'api', true)", (str(tenant), str(user)))
            try:
                conn.execute(call)
                refused = False
            except psycopg.errors.InsufficientPrivilege as exc:
                refused = permission in str(exc) or "you may change only" in str(exc)
            except psycopg.Error:
                refused = False   # past the permission check: refused for its arguments
            conn.rollback()
        assert refused == (permission not in MATRIX[role]), (role, permission, call)
