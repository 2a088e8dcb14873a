-- depends: 0330_index_product_rows_reuse_vectors
-- outbox: outbox._lease gains a seventh argument, p_record (a batch processed in the claiming transaction only
-- locks the free deliveries it picks instead of writing a lease nobody can see; sql/code/outbox/queue.sql). The
-- six-argument version is dropped here so that the code tree creates the new one instead of an overload beside it.
drop function if exists outbox._lease(text, text, integer, interval, timestamptz, uuid);
