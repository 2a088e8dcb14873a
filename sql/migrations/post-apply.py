"""yoyo post-apply hook: after plain `yoyo apply` has applied migrations, apply the code tree (sql/code/).

`rustok migrate` does not run this hook: it applies the migrations and the code tree in one transaction
itself. yoyo runs post-apply hooks only when it applied at least one migration; to re-apply the code tree
alone, run `rustok migrate`.
"""

from yoyo import step

from rustok import sqlcode

steps = [step(lambda conn: sqlcode.apply(conn))]
