"""The storefront as a client of the platform's own GraphQL schema, executed in-process.

Every call builds the same RequestContext the HTTP endpoint builds (rustok.graphql.context.get_context_value):
a view of the database router (a plain query may go to a read replica; mutations and reads of the visitor's own
writes go to the primary), the tenant slug, and the visitor's session token from the storefront's cookie. So a
page sees exactly what an API client with the same session would, row-level security and permissions included.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

from ariadne import graphql

from rustok.graphql.context import RequestContext
from rustok.graphql.errors import GraphQLErrorLogger, format_error

log = logging.getLogger(__name__)


class ApiUnavailable(Exception):
    """The database is unreachable (UNAVAILABLE): the page answers 503."""


class ModuleDisabled(Exception):
    """The tenant turned off the module a page needs (MODULE_DISABLED): the page answers 404 saying so."""


class TenantSuspended(Exception):
    """The platform operator suspended the tenant (TENANT_SUSPENDED): the page answers 403 saying so."""


class ApiFailed(Exception):
    """The API answered an error the storefront cannot show as a message (a bug on either side): logged, 500."""


@dataclass
class Result:
    data: dict
    errors: list[dict] = field(default_factory=list)

    def codes(self) -> set[str]:
        return {(e.get("extensions") or {}).get("code") for e in self.errors}


async def read(request, tenant: str, query: str, variables: dict | None = None, *, token: str | None = None,
               allow: tuple[str, ...] = ()) -> Result:
    """A catalog read: for an anonymous visitor, the API's compiled path first (rustok.graphql.compiled: one SQL
    statement answers `products` / `product` with the exact response of ordinary execution), else (a session,
    or anything the compiler does not cover, or any refusal) ordinary execution through `execute`."""
    compiled = getattr(getattr(request.app.state.graphql, "http_handler", None), "compiled", None)
    if compiled is not None and token is None:
        started = time.perf_counter()
        documents = request.app.state.graphql.documents
        body = None
        try:
            document = documents.parse(None, {"query": query})
            body = await compiled.answer(request.app.state.router, documents, document, None, variables or {}, tenant)
        except Exception:   # the compiled path is an optimisation: whatever fails there, ordinary execution answers
            log.exception("storefront: the compiled read failed; ordinary execution answers")
        request.state.api_ms = getattr(request.state, "api_ms", 0.0) + (time.perf_counter() - started) * 1000
        if body is not None:
            answer = json.loads(body)
            if not answer.get("errors"):
                request.state.compiled = getattr(request.state, "compiled", 0) + 1
                return Result(answer.get("data") or {})
    return await execute(request, tenant, query, variables, token=token, allow=allow)


def _schema(gql_app):
    schema = getattr(gql_app, "schema", None)
    return schema if schema is not None else gql_app.http_handler.schema


async def execute(request, tenant: str, query: str, variables: dict | None = None, *, token: str | None = None,
                  primary: bool = False, index_position: str | None = None,
                  allow: tuple[str, ...] = ()) -> Result:
    """Run one GraphQL operation as the visitor. `primary`: read from the primary (the visitor's own writes:
    cart, account, orders) or run a mutation. Errors whose code is in `allow` come back in Result.errors (the
    page shows them); UNAVAILABLE raises ApiUnavailable; any other error raises ApiFailed (logged)."""
    state = request.app.state
    gql_app = state.graphql
    data = {"query": query, "variables": variables or {}}
    result = None
    started = time.perf_counter()
    for force_primary in (primary, True):
        view = state.router.view(read_only=not primary, position=None, force_primary=force_primary)
        ctx = RequestContext(request=request, db=view, tenant_slug=tenant, token=token, index_position=index_position,
                             read_wait_seconds=getattr(getattr(state, "settings", None), "read_wait_seconds", 5.0))
        _, result = await graphql(_schema(gql_app), data, context_value=ctx,
                                  query_parser=gql_app.documents.parse, query_validator=gql_app.documents.validate,
                                  error_formatter=format_error, logger=GraphQLErrorLogger(), debug=False)
        if not view.replica_failed:
            break
        log.warning("storefront: a read failed on a replica; running it again on the primary")
    # Server-Timing (rustok.storefront.routes.page): time spent in the API, the rest is the storefront's own
    request.state.api_ms = getattr(request.state, "api_ms", 0.0) + (time.perf_counter() - started) * 1000
    errors = list(result.get("errors") or ())
    codes = {(e.get("extensions") or {}).get("code") for e in errors}
    if "UNAVAILABLE" in codes:
        raise ApiUnavailable()
    if "TENANT_SUSPENDED" in codes:
        raise TenantSuspended()
    if "MODULE_DISABLED" in codes and "MODULE_DISABLED" not in allow:
        raise ModuleDisabled()
    unexpected = [e for e in errors if (e.get("extensions") or {}).get("code") not in allow]
    if unexpected:
        log.error("storefront: the API refused %s: %s", query.split("(")[0].split("{")[0].strip() or "an operation",
                  [(e.get("extensions") or {}).get("code") for e in unexpected])
        raise ApiFailed(unexpected[0].get("message"))
    return Result(result.get("data") or {}, errors)


def field_type_fields(request, type_name: str, field: str) -> set[str]:
    """The fields of the (unwrapped) type of `type_name.field`; empty when there is no such field."""
    from graphql import get_named_type

    gql_type = _schema(request.app.state.graphql).type_map.get(type_name)
    found = (getattr(gql_type, "fields", {}) or {}).get(field)
    if found is None:
        return set()
    return set(getattr(get_named_type(found.type), "fields", {}) or {})
