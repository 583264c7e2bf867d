{#- Listing × Asia/Shanghai month state, aggregated from the listing's observations in the month:
    what int_listings_aggregated, the listing-period models and the site-day state need, so that they
    read this table (one row per listing and month) instead of every observation. Each "latest" value
    comes with the time of the observation that gave it (`*_at`), so the latest over several months,
    or over an earlier state and new observations, is the value with the greatest time: exactly the
    latest over their observations (a listing's fetch instants are unique).

    Incremental state (delete+insert on listing and month, the delete within the new rows' months:
    macros/incremental/delete_insert_in_range.sql; docs/marts.md "Incremental runs",
    macros/incremental/merged_state.sql): a run reads only the rows of the new load batches of
    int_observations_deduplicated. Where they are new (listing, instant) keys, it merges their
    aggregate into the pair's row (minima, maxima, sums, day sets and latest-by-time combine exactly).
    Pairs with a re-chosen key (a re-delivered copy, which may change a value already aggregated) are
    recomputed from all their observations. A full build aggregates one month per statement (the
    post-hook adds the months after the first): one group-by over every observation spilled more
    than 19 GB to disk at 100M rows. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete_insert_in_range',
        unique_key=['listing_num', 'month_start'],
        range_key='month_start',
        on_schema_change='sync_all_columns',
        post_hook="{{ later_full_build_slices(ref('int_observations_deduplicated'), 'month_start', listing_month_states) }}",
    )
}}

{{
    merged_state(
        ref('int_observations_deduplicated'),
        period_keys=['listing_num', 'month_start'],
        state_period_keys=['listing_num', 'month_start'],
        states=listing_month_states,
        combined=listing_month_states_combined,
        state_columns=listing_month_state_columns,
        full_build_slice='month_start',
    )
}}
