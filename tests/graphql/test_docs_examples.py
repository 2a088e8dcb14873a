"""Every GraphQL example in docs/graphql.md parses and validates against the schema the server runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import parse, validate

from rustok.graphql import build_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "graphql.md"
BLOCKS = re.findall(r"```graphql\n(.*?)```", DOC.read_text(), re.S)


def test_the_guide_has_examples():
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("block", BLOCKS, ids=[f"example{i}" for i in range(len(BLOCKS))])
def test_example_is_valid(block):
    schema = build_schema()
    for line_block in re.split(r"\n(?=query|mutation|subscription)", block.strip()):
        errors = validate(schema, parse(line_block))
        assert errors == [], (line_block, errors)
