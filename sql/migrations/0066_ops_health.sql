-- depends: 0065_core_login_attempts
-- ops: the thresholds of ops.health() (one row, documented defaults), and the migrations the applied code tree
-- was written for, so ops.health() can tell from inside the database whether migrations and code tree match.

alter table ops.code_tree_state add column migrations text[];

create table ops.health_settings (
    singleton                   boolean primary key default true,
    backlog_warn_age            interval not null default '1 minute',
    backlog_fail_age            interval not null default '15 minutes',
    backlog_warn_pending        bigint not null default 10000,
    dead_letters_warn           bigint not null default 1,
    dead_letters_fail           bigint not null default 1000,
    order_quarters_ahead        integer not null default 2,
    expired_partition_grace     interval not null default '1 hour',
    verify_sample               integer not null default 20,
    replica_lag_warn            interval not null default '30 seconds',
    replica_lag_fail            interval not null default '5 minutes',
    dead_tuples_min             bigint not null default 10000,
    dead_tuples_warn_ratio      numeric not null default 0.2,
    dead_tuples_fail_ratio      numeric not null default 0.5,
    long_query_warn             interval not null default '5 minutes',
    long_query_fail             interval not null default '30 minutes',
    idle_in_transaction_warn    interval not null default '1 minute',
    idle_in_transaction_fail    interval not null default '10 minutes',
    counter_warn_ratio          numeric not null default 0.75,
    counter_fail_ratio          numeric not null default 0.9,
    xid_age_warn                bigint not null default 500000000,
    xid_age_fail                bigint not null default 1500000000,
    maintain_warn_age           interval not null default '5 minutes',
    maintain_fail_age           interval not null default '1 hour',
    full_reindex_warn_age       interval default '26 hours',
    full_reindex_fail_age       interval default '3 days',
    constraint health_settings_singleton_check check (singleton),
    constraint health_settings_backlog_check
        check (backlog_warn_age > interval '0' and backlog_fail_age >= backlog_warn_age and backlog_warn_pending > 0),
    constraint health_settings_dead_letters_check check (dead_letters_warn >= 1 and dead_letters_fail >= dead_letters_warn),
    constraint health_settings_order_quarters_ahead_check check (order_quarters_ahead between 0 and 40),
    constraint health_settings_expired_partition_grace_check check (expired_partition_grace >= interval '0'),
    constraint health_settings_verify_sample_check check (verify_sample between 0 and 10000),
    constraint health_settings_replica_lag_check check (replica_lag_warn >= interval '0' and replica_lag_fail >= replica_lag_warn),
    constraint health_settings_dead_tuples_check
        check (dead_tuples_min >= 0 and dead_tuples_warn_ratio between 0 and 1
               and dead_tuples_fail_ratio between dead_tuples_warn_ratio and 1),
    constraint health_settings_sessions_check
        check (long_query_warn >= interval '0' and long_query_fail >= long_query_warn
               and idle_in_transaction_warn >= interval '0' and idle_in_transaction_fail >= idle_in_transaction_warn),
    constraint health_settings_counter_check
        check (counter_warn_ratio between 0 and 1 and counter_fail_ratio between counter_warn_ratio and 1),
    constraint health_settings_xid_age_check check (xid_age_warn >= 0 and xid_age_fail >= xid_age_warn),
    constraint health_settings_maintain_check
        check (maintain_warn_age > interval '0' and maintain_fail_age >= maintain_warn_age),
    constraint health_settings_full_reindex_check
        check ((full_reindex_warn_age is null) = (full_reindex_fail_age is null)
               and (full_reindex_warn_age is null or full_reindex_fail_age >= full_reindex_warn_age))
);

insert into ops.health_settings default values;
