"""All bindables in one list: the scalars, then one resolver module per API area.

| module       | SDL (schema/)        | what                                                        |
|--------------|----------------------|-------------------------------------------------------------|
| scalars      | scalars.graphql      | BigInt, DateTime, JSON                                      |
| core         | core.graphql         | version, tenant, me, register / login / logout, indexCaughtUp |
| content      | content.graphql      | pages, posts, comments, revisions, tags                     |
| community    | community.graphql    | reactions                                                   |
| commerce     | commerce.graphql     | products, prices, stock, orders (write side)                |
| storefront   | storefront.graphql   | reads from the read model: products, contents, orders       |
| live         | live.graphql         | the events subscription                                     |
| admin        | admin.graphql        | modules, users, tags by name, SEO meta                      |
| cart         | cart.graphql         | carts and their checkout; the viewer's pending comments     |
| domains      | domains.graphql      | the storefront's host names per tenant                      |
| staff        | staff.graphql        | what the admin app needs: people, order search, ops screen  |
| retired      | retired.graphql      | addresses gone for good (the storefront's 410)              |
| tags         | tags.graphql         | tag management for the admin: uses, rename, merge, delete   |
| accounts     | accounts.graphql     | password reset and invitations by mailed links              |
| platform     | platform.graphql     | the platform operator: tenants and their domains            |
| media        | media.graphql        | uploads (multipart spec), media library, product/node images |

Access checks live in access.py, connections and write transactions in db.py.
"""

from __future__ import annotations

from rustok.graphql import (accounts, admin, cart, commerce, community, content, core, domains, live, media, platform,
                            retired, scalars, staff, storefront, tags)

BINDABLES: list = [
    *scalars.bindables,
    *core.bindables,
    *content.bindables,
    *community.bindables,
    *commerce.bindables,
    *storefront.bindables,
    *live.bindables,
    *admin.bindables,
    *cart.bindables,
    *domains.bindables,
    *staff.bindables,
    *retired.bindables,
    *tags.bindables,
    *accounts.bindables,
    *platform.bindables,
    *media.bindables,
]


def bindables() -> list:
    return list(BINDABLES)
