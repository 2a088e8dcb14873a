"""The GraphQL documents the storefront sends (one operation per page; the header's `me` and `cart` ride along)."""

HEADER = """
  tenant { name slug }
  me { id email displayName role }
  cart(token: $cart) { itemCount }
"""

# The cards of a listing: fields the API's compiled reads cover (rustok.graphql.compiled), so an anonymous
# visitor's catalog page is one SQL statement, what a buyer pays now (`price`: sale price lists, by the clock)
# included.
PRODUCT_CARD = """
  id handle title subtitle inStock updatedAt
  priceRange { min { amount currencyCode } }
  price { calculated { amount currencyCode } original { amount currencyCode } onSale }
"""

CATALOG = """
query Catalog($search: String, $filter: ProductFilter, $sort: ProductSort, $currency: String, $first: Int,
              $after: String, $last: Int, $before: String) {
  products(search: $search, filter: $filter, sort: $sort, currency: $currency, first: $first, after: $after,
           last: $last, before: $before) {
    totalCount totalCountCapped correctedQuery
    edges { cursor node { %(card)s %(images)s } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    facets {
      categories { category { handle name } count }
      tags { tag { slug name } count }
      priceBuckets { min { amount currencyCode } max { amount currencyCode } count }
      inStock { inStock count }
    }
  }
}
"""

SUGGEST = """
query Suggest($search: String, $currency: String) {
  products(search: $search, currency: $currency, first: 6) {
    correctedQuery
    nodes { handle title }
  }
}
"""

PRODUCT = """
query Product($id: ID, $handle: String, $currency: String!) {
  product(id: $id, handle: $handle) {
    id handle title subtitle description inStock updatedAt %(images)s
    seo { title description canonicalUrl imageUrl robots }
    options { title values }
    variants {
      id title sku inStock available allowBackorder manageInventory
      selectedOptions { name value }
      price(currency: $currency) { calculated { amount currencyCode } original { amount currencyCode } onSale }
    }
    categories { handle name }
    tags { slug name }
  }
}
"""

CART_LINES = """
  id currencyCode status itemCount subtotal { amount currencyCode }
  lines { variantId productHandle productTitle variantTitle sku quantity available
          unitPrice { amount currencyCode } originalUnitPrice { amount currencyCode } total { amount currencyCode } }
"""

CART_PAGE = """
query CartPage($cart: String) {
  tenant { name slug }
  me { id email displayName role }
  cart(token: $cart) { %(lines)s }
}
""" % {"lines": CART_LINES}

ADD_TO_CART = """
mutation Add($cart: String, $variant: ID!, $quantity: Int, $currency: String) {
  addToCart(token: $cart, variantId: $variant, quantity: $quantity, currency: $currency) {
    token userErrors { field code message }
  }
}
"""

SET_LINE = """
mutation SetLine($cart: String, $variant: ID!, $quantity: Int!) {
  setCartLine(token: $cart, variantId: $variant, quantity: $quantity) { userErrors { field code message } }
}
"""

CHECKOUT = """
mutation Checkout($cart: String, $email: String, $address: AddressInput) {
  checkoutCart(token: $cart, email: $email, shippingAddress: $address) {
    order { id displayId }
    orderToken
    userErrors { field code message }
    position
  }
}
"""

ORDER_FIELDS = """
  id displayId status createdAt email itemCount
  subtotal { amount currencyCode } shippingTotal { amount currencyCode } taxTotal { amount currencyCode }
  total { amount currencyCode }
  lines { title sku quantity unitPrice { amount currencyCode } total { amount currencyCode } }
  shippingAddress { firstName lastName address1 city postalCode countryCode }
"""

ORDER = """
query Order($id: ID!, $cart: String) {
  %(header)s
  order(id: $id) { %(order)s }
}
"""

GUEST_ORDER = """
query GuestOrder($token: String!, $cart: String) {
  %(header)s
  guestOrder(token: $token) { %(order)s }
}
"""

MY_ORDERS = """
query MyOrders($cart: String, $after: String) {
  %(header)s
  orders(first: 20, after: $after) {
    totalCount
    nodes { id displayId status createdAt itemCount total { amount currencyCode } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

ACCOUNT = """
query Account($cart: String) {
  %(header)s
}
"""

HEADER_QUERY = ACCOUNT

REGISTER = """
mutation Register($email: String!, $password: String!, $name: String) {
  register(email: $email, password: $password, displayName: $name) { token userErrors { field message } }
}
"""

LOGIN = """
mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { token } }
"""

LOGOUT = "mutation Logout { logout }"

REQUEST_PASSWORD_RESET = """
mutation RequestPasswordReset($email: String!) {
  requestPasswordReset(email: $email) { message userErrors { field code message } }
}
"""

RESET_PASSWORD = """
mutation ResetPassword($token: String!, $password: String!) {
  resetPassword(token: $token, password: $password) {
    session { token } user { email role } userErrors { field code message }
  }
}
"""

ACCEPT_INVITATION = """
mutation AcceptInvitation($token: String!, $password: String!, $name: String) {
  acceptInvitation(token: $token, password: $password, name: $name) {
    session { token } user { email role displayName } userErrors { field code message }
  }
}
"""

# Without the header (fetched apart, as for the catalog), so that an anonymous visitor's blog page is one
# compiled statement.
BLOG = """
query Blog($filter: ContentFilter, $after: String, $before: String, $first: Int, $last: Int) {
  contents(kind: post, filter: $filter, sort: newest, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    nodes { id slug title excerpt publishedAt updatedAt author { name } category { slug name } tags { slug name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    facets { categories { category { slug name } count } tags { tag { slug name } count } }
  }
}
"""

COMMENT_FIELDS = "id body bodyFormat publishedAt createdAt updatedAt replyCount author { name }"

POST = """
query Post($kind: NodeKind!, $slug: String!) {
  content(kind: $kind, slug: $slug) {
    id kind slug title excerpt body bodyFormat publishedAt updatedAt
    author { name } category { slug name } tags { slug name }
    seo { title description canonicalUrl imageUrl robots }
    comments(first: 50) {
      totalCount
      nodes { %(comment)s comments(first: 50) { nodes { %(comment)s comments(first: 50) { nodes { %(comment)s } } } } }
    }
  }
}
"""

PENDING = """
query Pending($id: ID!) { viewerPendingComments(contentId: $id, first: 100) { nodes { id parentId body createdAt } } }
"""

ADD_COMMENT = """
mutation Comment($parent: ID!, $body: String!) {
  addComment(parentId: $parent, body: $body) { node { id status } userErrors { field code message } }
}
"""

SITEMAP_PRODUCTS = """
query SitemapProducts($after: String) {
  products(sort: newest, first: 100, after: $after) { nodes { handle updatedAt } pageInfo { hasNextPage endCursor } }
}
"""

SITEMAP_CONTENT = """
query SitemapContent($kind: NodeKind!, $after: String) {
  contents(kind: $kind, sort: newest, first: 100, after: $after) {
    nodes { slug updatedAt } pageInfo { hasNextPage endCursor }
  }
}
"""


def fill(document: str, images: str = "") -> str:
    return document % {"header": HEADER, "card": PRODUCT_CARD, "images": images, "order": ORDER_FIELDS,
                       "comment": COMMENT_FIELDS}

# Asked only when no visible item answers an address: gone for good (410) or never there (404).
RETIRED = """
query Retired($kind: RetiredKind!, $key: String!) {
  retired(kind: $kind, key: $key) { key title retiredAt reason }
}
"""
