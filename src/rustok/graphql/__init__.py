"""GraphQL: SDL per module in schema/*.graphql, bindables per module, one executable schema."""

from __future__ import annotations

from pathlib import Path

from ariadne import load_schema_from_path, make_executable_schema
from ariadne.asgi import GraphQL
from ariadne.asgi.handlers import GraphQLTransportWSHandler
from ariadne.explorer import ExplorerGraphiQL

from rustok.config import Settings
from rustok.graphql.cache import DocumentCache
from rustok.graphql.compiled import CompiledReads
from rustok.graphql.context import get_context_value
from rustok.graphql.errors import GraphQLErrorLogger, format_error
from rustok.graphql.http import RustokHTTPHandler
from rustok.graphql.limits import Limits, guard_arguments
from rustok.graphql.resolvers import bindables

SCHEMA_DIR = Path(__file__).parent / "schema"


def build_schema(limits: Limits | None = None):
    type_defs = load_schema_from_path(str(SCHEMA_DIR))
    return guard_arguments(make_executable_schema(type_defs, *bindables()), limits or Limits())


def create_graphql_app(settings: Settings | None = None) -> GraphQL:
    settings = settings or Settings()
    limits = Limits.from_settings(settings)
    documents = DocumentCache(limits=limits)
    schema = build_schema(limits)
    compiled = CompiledReads(schema, limits) if settings.compiled_reads else None
    app = GraphQL(
        schema,
        query_parser=documents.parse,
        query_validator=documents.validate,
        context_value=get_context_value,
        error_formatter=format_error,
        logger=GraphQLErrorLogger(),
        explorer=ExplorerGraphiQL(title="RusToK GraphQL"),
        http_handler=RustokHTTPHandler(documents, max_body_bytes=settings.max_body_bytes,
                                       retry_after=settings.retry_after, compiled=compiled,
                                       max_upload_bytes=settings.media_max_bytes,
                                       max_upload_files=settings.media_max_files),
        websocket_handler=GraphQLTransportWSHandler(),
        execute_get_queries=True,
        debug=False,
    )
    app.documents = documents
    return app
