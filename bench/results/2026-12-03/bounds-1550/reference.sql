\set v random(1, 10)
with s as (update bench.ref_stock set reserved = reserved + 1 where id = :v returning id),
     c as (update bench.ref_counter set last_id = last_id + 1 where id = 1 returning last_id)
insert into bench.ref_orders (display_id, variant, quantity) select c.last_id, s.id, 1 from s, c;
