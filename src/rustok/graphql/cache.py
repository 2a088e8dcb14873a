"""Cache parsed and validated GraphQL documents.

Storefronts send the same few queries over and over; graphql-core spends more
time parsing and validating them (~60 µs + ~600 µs for a product page) than
Postgres spends answering. A bounded LRU keyed by the query text keeps both.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from graphql import DocumentNode, parse, validate


class DocumentCache:
    def __init__(self, max_documents: int = 512):
        self.max_documents = max_documents
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()
        self._validation: dict[int, list] = {}
        self._lock = threading.Lock()

    def parse(self, context, data: dict) -> DocumentNode:
        query = data["query"]
        with self._lock:
            document = self._documents.get(query)
            if document is not None:
                self._documents.move_to_end(query)
                return document
        document = parse(query)  # raises GraphQLError on a syntax error: nothing is cached
        with self._lock:
            self._documents[query] = document
            while len(self._documents) > self.max_documents:
                _, evicted = self._documents.popitem(last=False)
                self._validation.pop(id(evicted), None)
        return document

    def validate(self, schema, document: DocumentNode, rules=None, max_errors=None, type_info=None):
        key = id(document)
        cacheable = type_info is None
        if cacheable:
            with self._lock:
                cached = self._validation.get(key)
                if cached is not None and self._documents.get(_query_of(document)) is document:
                    return cached
        errors = validate(schema, document, rules=rules, max_errors=max_errors, type_info=type_info)
        if cacheable:
            with self._lock:
                if self._documents.get(_query_of(document)) is document:
                    self._validation[key] = errors
        return errors


def _query_of(document: DocumentNode) -> str | None:
    return document.loc.source.body if document.loc else None
