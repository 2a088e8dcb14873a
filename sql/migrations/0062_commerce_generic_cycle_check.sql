-- depends: 0061_content_one_target_check
-- commerce: category cycles are refused by the generic core.tg__no_cycle (sql/code/core/trees.sql), which
-- content.categories uses too; drop commerce's own function. Its triggers are recreated by the code tree.

drop trigger if exists _200_no_cycle_ins on commerce.categories;
drop trigger if exists _200_no_cycle_upd on commerce.categories;
drop function if exists commerce.tg_categories__no_cycle();
