"""Operations: the platform's upkeep (ops.maintain) as a periodic job of the worker. See docs/operators.md."""
