-- depends: 0058_ops_code_tree_state
-- commerce: order edits are OrderUpdated events of commerce's own (sql/code/commerce/events.sql), no longer
-- ReindexRequested, which is the index module's word. Drop the triggers and functions that emitted it.

drop trigger if exists _910_reindex_on_change on commerce.orders;
drop trigger if exists _910_reindex_ins on commerce.order_items;
drop trigger if exists _910_reindex_upd on commerce.order_items;
drop trigger if exists _910_reindex_del on commerce.order_items;
drop function if exists commerce.tg_orders__reindex_on_change();
drop function if exists commerce.tg_order_items__reindex();
