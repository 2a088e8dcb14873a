-- depends: 0310_outbox_check_domains
-- content: SEO meta of categories. content.meta targets may also be a catalog category (commerce.categories,
-- target_type catalog_category) or a content category (content.categories, target_type content_category).
-- The target checks and the cleanup of a deleted category's meta are triggers of the code tree
-- (sql/code/content/meta.sql, content/categories.sql, commerce/categories.sql).

alter table content.meta drop constraint meta_target_type_check;
alter table content.meta add constraint meta_target_type_check
    check (target_type in ('node', 'product', 'catalog_category', 'content_category'));
