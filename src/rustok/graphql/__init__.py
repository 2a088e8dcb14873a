"""GraphQL: SDL per module in schema/*.graphql, bindables per module, one executable schema."""

from __future__ import annotations

from pathlib import Path

from ariadne import load_schema_from_path, make_executable_schema
from ariadne.asgi import GraphQL
from ariadne.asgi.handlers import GraphQLTransportWSHandler
from ariadne.explorer import ExplorerGraphiQL

from rustok.graphql.cache import DocumentCache
from rustok.graphql.context import get_context_value
from rustok.graphql.errors import format_error
from rustok.graphql.resolvers import bindables

SCHEMA_DIR = Path(__file__).parent / "schema"


def build_schema():
    type_defs = load_schema_from_path(str(SCHEMA_DIR))
    return make_executable_schema(type_defs, *bindables())


def create_graphql_app() -> GraphQL:
    documents = DocumentCache()
    return GraphQL(
        build_schema(),
        query_parser=documents.parse,
        query_validator=documents.validate,
        context_value=get_context_value,
        error_formatter=format_error,
        explorer=ExplorerGraphiQL(title="RusToK GraphQL"),
        websocket_handler=GraphQLTransportWSHandler(),
        debug=False,
    )
