-- depends: 0060_core_sessions_expiry_index
-- content: one generic target check (content.tg__check_targets, sql/code/content/targets.sql) replaces the
-- node and product variants. Their triggers are dropped here and created again by the code tree, in the
-- same transaction, on the new function.

drop trigger if exists _200_check_targets_ins on content.taggables;
drop trigger if exists _200_check_targets_upd on content.taggables;
drop trigger if exists _210_check_product_targets_ins on content.taggables;
drop trigger if exists _210_check_product_targets_upd on content.taggables;
drop trigger if exists _200_check_targets_ins on content.meta;
drop trigger if exists _200_check_targets_upd on content.meta;
drop trigger if exists _210_check_product_targets_ins on content.meta;
drop trigger if exists _210_check_product_targets_upd on content.meta;
drop function if exists content.tg__check_node_targets();
drop function if exists content.tg__check_product_targets();
