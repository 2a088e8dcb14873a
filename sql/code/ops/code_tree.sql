-- ops/code_tree.sql: which code tree (sql/code/) the database runs.

comment on table ops.code_tree_state is
    'The code tree (sql/code/) this database runs: written by `rustok migrate` in the transaction that applied it. '
    '/readyz and operators compare its digest with the files on disk.';
comment on column ops.code_tree_state.digest is 'sha256 over the names and contents of the applied files, in ORDER.';
comment on column ops.code_tree_state.files is 'How many files the applied tree had.';
comment on column ops.code_tree_state.applied_at is 'When the tree was last applied.';
comment on column ops.code_tree_state.singleton is 'Always true: the table holds one row.';
grant select on ops.code_tree_state to rustok_app, rustok_analyst;
comment on column ops.code_tree_state.migrations is
    'The migrations (sql/migrations ids) beside the applied tree: it was written for them. ops.health() compares them '
    'with yoyo''s public._yoyo_migration.';
