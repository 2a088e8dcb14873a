-- depends: 0280_index_search_reads_narrow_rows
-- Content.revisions is a Relay connection (issue 12): content.page_revisions / count_revisions (sql/code/content/api.sql)
-- replace the capped list function.
drop function if exists content.list_revisions(uuid, integer);
