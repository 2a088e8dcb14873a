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
        self._validation: dict[tuple, list] = {}
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
                for key in [k for k in self._validation if k[0] == id(evicted)]:
                    del self._validation[key]
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
