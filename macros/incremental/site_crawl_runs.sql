{#- Site × local day × crawl run rows of the observations in `relation`
    (int_site_crawl_runs_aggregated; docs/marts.md "Incremental runs"). -#}
{% macro site_crawl_runs(relation) %}
    select
        site,
        fetched_date_local as crawl_date,
        run_id,
        max(channel) as channel,
        min(fetched_at_local) as first_fetched_at_local,
        max(fetched_at_local) as last_fetched_at_local,
        cast(count(*) as {{ dbt.type_bigint() }}) as observations,
        max(loaded_at) as loaded_at
    from {{ relation }}
    group by site, fetched_date_local, run_id
{%- endmacro %}
