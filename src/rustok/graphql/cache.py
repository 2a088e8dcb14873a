"""Cache parsed and validated GraphQL documents.

Storefronts send the same few queries over and over; graphql-core spends more
time parsing and validating them (~60 µs + ~600 µs for a product page) than
Postgres spends answering. A bounded LRU keyed by the query text keeps both.

Parsing is also where a document's size and shape are bounded (rustok.graphql.limits): the lexer
stops at `max_query_tokens`, and a document past any limit raises QUERY_TOO_COMPLEX before
graphql-core validates it. Only documents that passed are cached, and only short query texts (a
cache of 1 MB texts would be a memory lever for an attacker).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from graphql import DocumentNode, GraphQLSyntaxError, parse, validate

from rustok.graphql.limits import MAX_CACHED_QUERY_LENGTH, Limits, check_document, too_complex


class DocumentCache:
    def __init__(self, max_documents: int = 512, limits: Limits | None = None):
        self.max_documents = max_documents
        self.limits = limits or Limits()
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()
        self._validation: dict[tuple, list] = {}
        self._persisted: OrderedDict[str, str] = OrderedDict()   # sha256 hex -> query text (persisted queries)
        self._lock = threading.Lock()

    def remember_persisted(self, digest: str, query: str) -> None:
        """Keep a query text under its SHA-256 (checked by the caller); short texts only, LRU-bounded."""
        if len(query) > MAX_CACHED_QUERY_LENGTH:
            return
        with self._lock:
            self._persisted[digest] = query
            self._persisted.move_to_end(digest)
            while len(self._persisted) > self.max_documents:
                self._persisted.popitem(last=False)

    def persisted(self, digest: str) -> str | None:
        with self._lock:
            query = self._persisted.get(digest)
            if query is not None:
                self._persisted.move_to_end(digest)
            return query

    def parse(self, context, data: dict) -> DocumentNode:
        query = data["query"]
        with self._lock:
            document = self._documents.get(query)
            if document is not None:
                self._documents.move_to_end(query)
                return document
        document = self._parse(query)  # raises GraphQLError (syntax, limits): nothing is cached
        if len(query) > MAX_CACHED_QUERY_LENGTH:
            return document
        with self._lock:
            self._documents[query] = document
            while len(self._documents) > self.max_documents:
                _, evicted = self._documents.popitem(last=False)
                for key in [k for k in self._validation if k[0] == id(evicted)]:
                    del self._validation[key]
        return document

    def _parse(self, query: str) -> DocumentNode:
        limits = self.limits
        try:
            document = parse(query, max_tokens=limits.max_query_tokens)
        except GraphQLSyntaxError as exc:
            if "Parsing aborted" in exc.message:  # graphql-core's "Document contains more than N tokens"
                raise too_complex("tokens", limits.max_query_tokens, None, "tokens") from None
            raise
        except RecursionError:  # nesting past the interpreter's stack, e.g. 400 levels of `{a:`
            raise too_complex("depth", limits.max_query_depth, None, "levels of nesting") from None
        check_document(document, limits)
        return document

    def validate(self, schema, document: DocumentNode, rules=None, **kwargs):
        """Same signature as graphql.validate; results are cached per document and rule set."""
        key = (id(document), tuple(rules or ()), tuple(sorted(kwargs.items())))
        with self._lock:
            cached = self._validation.get(key)
            if cached is not None and self._documents.get(_query_of(document)) is document:
                return cached
        errors = validate(schema, document, rules=rules, **kwargs)
        with self._lock:
            if self._documents.get(_query_of(document)) is document:  # only documents we hold
                self._validation[key] = errors
        return errors


def _query_of(document: DocumentNode) -> str | None:
    return document.loc.source.body if document.loc else None
