{#- Site × crawled local day × crawl run: the observations each run of a site contributed that
    Asia/Shanghai day (the winning copy's run), with the earliest and last fetch. The state behind
    int_site_crawl_days_aggregated: a day's observations, fetch range and distinct runs combine
    exactly from these rows.

    Incremental state (delete+insert on site and day; docs/marts.md "Incremental runs",
    macros/incremental/merged_state.sql): a run reads only the rows of the new load batches of
    int_observations_deduplicated. New (listing, instant) keys are added to the rows of their
    site-days (counts summed, minima and maxima); site-days with a re-chosen key (a re-delivered copy
    may belong to another run) are recomputed from all their observations. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['site', 'crawl_date'],
        on_schema_change='sync_all_columns',
    )
}}

{{
    merged_state(
        ref('int_observations_deduplicated'),
        period_keys=['site', 'fetched_date_local'],
        state_period_keys=['site', 'crawl_date'],
        states=site_crawl_runs,
        combined=site_crawl_runs_combined,
        state_columns=site_crawl_run_columns,
    )
}}
