"""The storefront over plain HTTP: variant choice by option values without JavaScript, prices in the chosen
currency, paging with cursors, and hostile or stale input answered with a page and a message (never a 500)."""

from __future__ import annotations

import re

import httpx
import psycopg

from tests.outbox.helpers import wait_for
from tests.web.shop import add_post, add_product, caught_up, new_shop


def _csrf(http: httpx.Client, url: str) -> str:
    page = http.get(url)
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def test_variant_by_option_values_and_currency(live_server):
    shop = new_shop(live_server)
    add_product(shop, "Hoodie", "hoodie", [("S Red", 4000, 5), ("S Blue", 4100, 5), ("M Red", 4200, 0),
                                          ("M Blue", 4300, 2)])
    with psycopg.connect(live_server.db_url, autocommit=True) as conn:
        # options the way an operator (or the admin) sets them: Size and Color, each variant one value of each
        conn.execute("""
            with p as (select id, tenant_id from commerce.products where handle = 'hoodie'
                                                               and tenant_id = core.tenant_id_by_slug(%s)),
                 o as (insert into commerce.options (tenant_id, product_id, title, position)
                       select p.tenant_id, p.id, t.title, t.pos from p, (values ('Size', 0), ('Color', 1)) t(title, pos)
                       returning tenant_id, id, title),
                 ov as (insert into commerce.option_values (tenant_id, option_id, value, position)
                        select o.tenant_id, o.id, v.value, v.pos from o
                        join (values ('Size', 'S', 0), ('Size', 'M', 1), ('Color', 'Red', 0), ('Color', 'Blue', 1))
                             v(title, value, pos) on v.title = o.title
                        returning tenant_id, id, option_id, value)
            insert into commerce.variant_options (tenant_id, variant_id, option_value_id, option_id, product_id)
            select v.tenant_id, v.id, ov.id, ov.option_id, v.product_id
            from commerce.variants v join p on p.id = v.product_id and p.tenant_id = v.tenant_id
            join ov on ov.tenant_id = v.tenant_id and ov.value = any (string_to_array(v.title, ' '))""", (shop.slug,))
        conn.execute("select outbox.drain('index')")
    wait_for(lambda: "option.Size" in httpx.get(shop.url("/products/hoodie")).text, timeout=20, what="options shown")
    with httpx.Client(timeout=30) as http:
        chosen = http.get(shop.url("/products/hoodie"), params={"option.Size": "M", "option.Color": "Blue"}).text
        assert "SKU HOODIE-M BLUE" in chosen
        assert re.search(r'data-testid="price">€43.00<', chosen)
        assert "only 2 left" in chosen
        sold_out = http.get(shop.url("/products/hoodie"), params={"option.Size": "M", "option.Color": "Red"}).text
        assert "Out of stock" in sold_out and re.search(r'data-testid="add-to-cart"\s+disabled', sold_out)
        # another currency: the base prices in USD (add_product gives USD = EUR + 2.00)
        usd = http.get(shop.url("/products/hoodie"), params={"option.Size": "S", "option.Color": "Red",
                                                             "currency": "USD"})
        assert re.search(r'data-testid="price">\$42.00<', usd.text)
        assert usd.cookies.get("rustok_currency") == "USD"
        assert re.search(r'data-testid="price">\$', http.get(shop.url("/")).text)    # the choice is kept


def test_cursor_paging(live_server):
    shop = new_shop(live_server)
    position = None
    for i in range(15):
        position = add_product(shop, f"Item {i:02d}", f"item-{i:02d}", [("Default", 1000 + i, 1)])
    caught_up(shop, position)
    with httpx.Client(timeout=30) as http:
        first = http.get(shop.url("/?sort=title_asc")).text
        titles = re.findall(r'class="card-title">([^<]+)<', first)
        assert titles == [f"Item {i:02d}" for i in range(12)]
        after = re.search(r'rel="next" data-testid="next-page" href="([^"]+)"', first).group(1).replace("&amp;", "&")
        second = http.get(live_server.base_url + after).text
        assert re.findall(r'class="card-title">([^<]+)<', second) == ["Item 12", "Item 13", "Item 14"]
        before = re.search(r'rel="prev" href="([^"]+)"', second).group(1).replace("&amp;", "&")
        back = http.get(live_server.base_url + before).text
        assert re.findall(r'class="card-title">([^<]+)<', back) == titles


def test_hostile_and_stale_input_gets_a_page_not_a_fault(live_server):
    shop = new_shop(live_server)
    caught_up(shop, add_product(shop, "Tee", "tee", [("Default", 1000, 3)]))
    with httpx.Client(timeout=30) as http:
        for path, params in (("/", {"after": "not-a-cursor"}), ("/", {"before": "x" * 5000}),
                             ("/", {"q": "\"'<script>alert(1)</script> OR 1=1 --", "price": "abc-def"}),
                             ("/", {"q": "🙂" * 300, "sort": "bogus", "category": ["x"] * 50}),
                             ("/", {"currency": "XXX"}), ("/blog", {"after": "nope", "tag": "<b>"}),
                             ("/products/" + "a" * 3000, {}), ("/orders/12345", {}), ("/search.json", {"q": "te"})):
            answer = http.get(shop.url(path), params=params)
            assert answer.status_code in (200, 303, 404), (path, params, answer.status_code)
            assert "Traceback" not in answer.text and "<script>alert" not in answer.text, path
        assert http.get(shop.url("/search.json"), params={"q": "te"}).json()["products"][0]["title"] == "Tee"
        token = _csrf(http, shop.url("/products/tee"))
        # a bad variant id, a quantity out of range: the visitor is told, nothing is in the cart
        bad = http.post(shop.url("/cart/add"), data={"csrf": token, "variant_id": "nope", "quantity": "1"},
                        follow_redirects=True)
        assert bad.status_code == 200 and 'role="alert"' in bad.text
        variant = shop.products["tee"]["variants"][0]["id"]
        big = http.post(shop.url("/cart/add"), data={"csrf": token, "variant_id": variant, "quantity": "100000",
                                                     "back": f"/t/{shop.slug}/products/tee"}, follow_redirects=True)
        assert "quantity" in big.text and 'data-testid="cart-count">0<' in big.text
        # not a form, too large a form, no CSRF token
        assert http.post(shop.url("/cart/add"), json={"csrf": token}).status_code == 400
        assert http.post(shop.url("/cart/add"), data={"csrf": token, "x": "y" * 70_000}).status_code == 413
        assert http.post(shop.url("/cart/add"), data={"variant_id": variant}).status_code == 403
        # an empty cart: the cart and checkout pages say so (no order form)
        assert "Your cart is empty" in http.get(shop.url("/cart")).text
        empty_checkout = http.get(shop.url("/checkout")).text
        assert "Your cart is empty" in empty_checkout and "place-order" not in empty_checkout
        assert http.get(shop.url("/cart/add")).status_code == 405
        assert http.get(live_server.base_url + f"/t/{shop.slug}").status_code == 308


def test_blog_categories_tags_and_static_pages(live_server):
    shop = new_shop(live_server)
    news = shop.gql("""mutation { createContentCategory(input: {name: "News", slug: "news"}) {
                         category { id } userErrors { message } } }""")["createContentCategory"]["category"]["id"]
    add_post(shop, "We opened", "we-opened", "Doors open at **nine**.", category_id=news)
    add_post(shop, "Recipe", "recipe", "Bake it.")
    position = shop.gql("""mutation($id: ID!) { setTags(targetType: node, targetId: $id, names: ["Baking"]) { position } }""",
                        {"id": shop.posts["recipe"]})["setTags"]["position"]
    caught_up(shop, position)
    caught_up(shop, add_post(shop, "About us", "about", "# Who we are\n\nA small shop.", kind="page"))
    with httpx.Client(timeout=30) as http:
        blog = http.get(shop.url("/blog")).text
        assert blog.count('data-testid="post"') == 2 and "?category=news" in blog and "?tag=baking" in blog
        by_category = http.get(shop.url("/blog"), params={"category": "news"}).text
        assert by_category.count('data-testid="post"') == 1 and "We opened" in by_category
        by_tag = http.get(shop.url("/blog"), params={"tag": "baking"}).text
        assert by_tag.count('data-testid="post"') == 1 and "Recipe" in by_tag
        page = http.get(shop.url("/pages/about"))
        assert page.status_code == 200 and "<h2>Who we are</h2>" in page.text and "<title>About us · " in page.text
        assert http.get(shop.url("/pages/we-opened")).status_code == 404     # a post is not a page
        assert http.get(shop.url("/blog/about")).status_code == 404          # nor a page a post


def test_a_module_turned_off_answers_not_available(live_server):
    shop = new_shop(live_server)
    caught_up(shop, add_product(shop, "Tee", "tee", [("Default", 1000, 3)]))
    caught_up(shop, add_post(shop, "Hello", "hello", "Hi."))
    shop.gql('mutation { setModuleEnabled(module: "content", enabled: false) { userErrors { message } } }')
    with httpx.Client(timeout=30) as http:
        for path in ("/blog", "/blog/hello", "/pages/about"):
            answer = http.get(shop.url(path))
            assert answer.status_code == 404 and "turned off" in answer.text, path
        assert http.get(shop.url("/")).status_code == 200            # the shop still works
        assert "Tee" in http.get(shop.url("/products/tee")).text
    shop.gql('mutation { setModuleEnabled(module: "commerce", enabled: false) { userErrors { message } } }')
    shop.gql('mutation { setModuleEnabled(module: "content", enabled: true) { userErrors { message } } }')
    with httpx.Client(timeout=30) as http:
        assert "turned off" in http.get(shop.url("/")).text
        assert http.get(shop.url("/blog")).status_code == 200     # a blog without a shop
