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

{#- Run rows of the same site, day and run in `relation` combined into one. -#}
{% macro site_crawl_runs_combined(relation) %}
    select
        site,
        crawl_date,
        run_id,
        max(channel) as channel,
        min(first_fetched_at_local) as first_fetched_at_local,
        max(last_fetched_at_local) as last_fetched_at_local,
        cast(sum(observations) as {{ dbt.type_bigint() }}) as observations,
        max(loaded_at) as loaded_at
    from {{ relation }}
    group by site, crawl_date, run_id
{%- endmacro %}

{#- The run row columns, in table order, qualified by `prefix`. -#}
{% macro site_crawl_run_columns(prefix) -%}
    {%- for column in ['site', 'crawl_date', 'run_id', 'channel', 'first_fetched_at_local',
                       'last_fetched_at_local', 'observations', 'loaded_at'] -%}
        {{ prefix }}.{{ column }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
