"""Migrations are append-only: recorded ones never change; new ones hold the shape of data only.

The checker (rustok.migration_history) runs on the real sql/migrations, and on temporary directories with
deliberately bad migrations to prove it catches each kind of mistake."""

from __future__ import annotations

import re
import shutil

import pytest

from rustok import migration_history as history
from rustok import sqltext
from rustok.paths import migrations_dir

RECORDED = history.read_manifest(migrations_dir())
LAST = max(int(name[:4]) for name in RECORDED)     # the newest recorded migration's number
NEXT = f"{LAST + 1:04d}"
GOOD = f"""\
-- depends: {sorted(RECORDED)[-1][:-4]}
-- commerce: gift cards. (A comment may say: create function, grant, comment on -- it is a comment.)

create table commerce.gift_cards (
    tenant_id uuid not null references core.tenants (id) on delete cascade,
    id        uuid not null default core.new_id(),
    code      text not null default 'create view; grant all',
    primary key (tenant_id, id)
);
create index gift_cards_code_idx on commerce.gift_cards (tenant_id, code);
update commerce.products set metadata = metadata where false;
drop function if exists commerce.old_helper(uuid);
"""


def test_every_migration_is_recorded_and_unchanged():
    directory = migrations_dir()
    recorded = history.read_manifest(directory)
    on_disk = [p.name for p in history.migration_files(directory)]
    # 0001..0058 were history when the manifest was made; all of them are in it
    assert {f"{n:04d}" for n in (1, 2, 10, 20, 30, 40, 46, 50, 57, 58)} <= {name[:4] for name in recorded}
    assert history.check_history(directory) == []
    assert set(recorded) <= set(on_disk)


def test_new_migrations_follow_the_rules():
    problems = history.check()
    assert problems == [], "\n".join(map(str, problems))


@pytest.fixture
def migrations(tmp_path):
    """A copy of sql/migrations to break."""
    target = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), target)
    assert history.check(target) == []
    return target


def test_a_changed_or_removed_recorded_migration_fails(migrations):
    (migrations / "0023_commerce_orders.sql").write_text(
        (migrations / "0023_commerce_orders.sql").read_text() + "\n-- a harmless-looking edit\n")
    (migrations / "0045_index_search.sql").unlink()
    problems = [str(p) for p in history.check(migrations)]
    assert len(problems) == 2, problems
    assert problems[0].startswith("0023_commerce_orders.sql: changed since it was recorded")
    assert problems[1].startswith("0045_index_search.sql: recorded in HISTORY.sha256 but removed")


def test_a_good_new_migration_passes_and_is_recorded(migrations):
    # a branch's own new migrations (not recorded until they land on main) are recorded along with it
    unrecorded = sorted({p.name for p in migrations.glob("[0-9][0-9][0-9][0-9]_*.sql")} - set(RECORDED))
    (migrations / f"{NEXT}_commerce_gift_cards.sql").write_text(GOOD)
    assert history.check(migrations) == []
    before = (migrations / history.MANIFEST).read_text()
    assert history.record(migrations) == sorted(unrecorded + [f"{NEXT}_commerce_gift_cards.sql"])
    after = (migrations / history.MANIFEST).read_text()
    assert after.startswith(before) and after.count("\n") == before.count("\n") + 1 + len(unrecorded)
    assert history.record(migrations) == []      # recording again appends nothing
    assert history.check(migrations) == []


@pytest.mark.parametrize("name, text, message", [
    (f"{NEXT}_giftcards.sql", GOOD, "name must be NNNN_<module>_<change>.sql"),
    ("59_commerce_gift_cards.sql", GOOD, "name must be NNNN_<module>_<change>.sql"),
    (f"{NEXT}_Commerce_GiftCards.sql", GOOD, "name must be NNNN_<module>_<change>.sql"),
    (f"{NEXT}_shop_gift_cards.sql", GOOD, "module 'shop' is not one of core, content"),
    ("0040_commerce_gift_cards.sql", GOOD, f"must come after the last recorded migration ({LAST:04d})"),
    (f"{NEXT}_commerce_gift_cards.py", "from yoyo import step\nsteps = []\n", "name must be NNNN_<module>_<change>.sql"),
    (f"{NEXT}_commerce_gift_cards.sql", re.sub(r"^-- depends: .*\n", "", GOOD),
     "no `-- depends: <migration>` line"),
    (f"{NEXT}_commerce_gift_cards.sql",
     GOOD + "create or replace function commerce.f() returns int\n  language sql stable\nas $$ select 1 $$;\n",
     "line 13: defines a function or procedure"),
    (f"{NEXT}_commerce_gift_cards.sql", GOOD + "CREATE PROCEDURE commerce.p() LANGUAGE sql AS 'select 1';\n",
     "defines a function or procedure"),
    (f"{NEXT}_commerce_gift_cards.sql",
     GOOD + "create trigger _100_timestamps before update on commerce.gift_cards\n"
            "    for each row execute function core.tg__timestamps();\n", "defines a trigger"),
    (f"{NEXT}_commerce_gift_cards.sql", GOOD + "create view commerce.v as select 1;\n", "defines a view"),
    (f"{NEXT}_commerce_gift_cards.sql", GOOD + "create or replace view commerce.v as select 1;\n", "defines a view"),
    (f"{NEXT}_commerce_gift_cards.sql",
     GOOD + "create policy tenant_isolation on commerce.gift_cards using (true);\n", "defines a policy"),
    (f"{NEXT}_commerce_gift_cards.sql", GOOD + "select core.enable_tenant_rls('commerce.gift_cards');\n",
     "defines a policy"),
    (f"{NEXT}_commerce_gift_cards.sql", GOOD + "alter table commerce.gift_cards enable row level security;\n",
     "sets row security"),
    (f"{NEXT}_commerce_gift_cards.sql", GOOD + "grant select on commerce.gift_cards to rustok_app;\n",
     "grants or revokes a privilege"),
    (f"{NEXT}_commerce_gift_cards.sql", GOOD + "revoke all on commerce.gift_cards from public;\n",
     "grants or revokes a privilege"),
    (f"{NEXT}_commerce_gift_cards.sql", GOOD + "comment on table commerce.gift_cards is 'Gift cards.';\n",
     "sets a comment"),
    (f"{NEXT}_commerce_gift_cards.sql",
     GOOD + "do $$ begin execute format('grant select on %I.gift_cards to rustok_app', 'commerce'); end $$;\n",
     "a DO block runs 'grant"),
])
def test_a_bad_new_migration_fails(migrations, name, text, message):
    (migrations / name).write_text(text)
    problems = [str(p) for p in history.check(migrations)]
    assert problems, f"{name} should have been refused"
    assert all(p.startswith(name + ": ") for p in problems), problems
    assert any(message in p for p in problems), problems
    with pytest.raises(ValueError, match="fix these first"):
        history.record(migrations)


def test_the_lexer_ignores_comments_and_strings():
    stmts = sqltext.statements(
        "-- create view x;\ncreate table t (a text default 'a;b', b text default $x$ ; $x$); /* grant; */\n"
        "select 1 -- ;\n;\ncomment on table t is E'it''s \\' ; ok';")
    assert [s.line for s in stmts] == [2, 3, 5]
    assert stmts[0].words == "create table t (a text default 'a;b', b text default $x$ ; $x$)"
    assert stmts[1].words == "select 1"
    assert stmts[2].words.startswith("comment on table t is e'it''s")
    assert sqltext.blank_strings("select 'grant' || $q$create view$q$") == "select '     ' || $q$           $q$"
