import time
import uuid

import pytest
from ulid import ULID

from rustok.ids import InvalidIdError, id_time_ms, new_id, parse_id, to_ulid


def test_sql_new_id_parses_as_ulid_and_encodes_now(conn):
    before = int(time.time() * 1000)
    row = conn.execute("select core.new_id() as id").fetchone()
    after = int(time.time() * 1000)
    sql_id = row["id"]
    assert isinstance(sql_id, uuid.UUID)
    ulid = ULID.from_uuid(sql_id)
    assert before - 5 <= ulid.milliseconds <= after + 5
    assert parse_id(str(ulid)) == sql_id
    assert parse_id(str(sql_id)) == sql_id


def test_sql_ids_made_later_sort_later(conn):
    ids = []
    for _ in range(5):
        ids.append(conn.execute("select core.new_id() as id").fetchone()["id"])
        time.sleep(0.003)
    assert ids == sorted(ids)
    assert [str(ULID.from_uuid(i)) for i in ids] == sorted(str(ULID.from_uuid(i)) for i in ids)


def test_sql_random_part_is_80_bits_not_uuid_v4_fixed_bits(conn):
    rows = conn.execute("select core.new_id() as id from generate_series(1, 400)").fetchall()
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == 400
    # In a v4 uuid, byte 6's high nibble is always 4; in a ULID it's random.
    assert len({i.bytes[6] >> 4 for i in ids}) > 4
    assert len({i.bytes[8] >> 6 for i in ids}) > 1


def test_python_and_sql_ids_interleave_by_time(conn):
    py_first = new_id()
    time.sleep(0.003)
    sql_id = conn.execute("select core.new_id() as id").fetchone()["id"]
    time.sleep(0.003)
    py_last = new_id()
    assert py_first < sql_id < py_last
    assert conn.execute("select core.id_time(%s) as t", (sql_id,)).fetchone()["t"].timestamp() * 1000 == pytest.approx(
        id_time_ms(sql_id), abs=1)


@pytest.mark.parametrize("bad", ["", "nope", "01ARZ3NDEKTSV4RRFFQ69G5FA", "01ARZ3NDEKTSV4RRFFQ69G5FAVX",
                                 "ILLEGALCHARSUUUUUUUUUUUUUU", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", None, 42])
def test_parse_id_rejects_garbage_clearly(bad):
    with pytest.raises(InvalidIdError, match="expected a 26-character ULID or a UUID"):
        parse_id(bad)


def test_ulid_roundtrip():
    i = new_id()
    assert parse_id(to_ulid(i)) == i
    assert parse_id(str(i)) == i
    assert parse_id(str(i).upper()) == i
