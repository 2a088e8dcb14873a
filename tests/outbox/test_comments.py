"""Contracts the outbox documents in the database itself (comment coverage: tests/catalog/test_conventions.py)."""


def test_handler_contract_is_documented_in_the_database(conn):
    text = conn.execute("select col_description('outbox.consumers'::regclass, 2)").fetchone()
    assert "outbox.events[]" in text["col_description"] and "idempotent" in text["col_description"]
