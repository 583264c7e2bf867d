{#- Incremental market marts (mart_market_monthly, mart_market_quarterly; docs/marts.md
    "Incremental runs"). A daily run recomputes only the periods whose measures can have changed:
    - a listing-period row this run wrote new or changed (the listing-period models keep the
      `loaded_at` of a row whose values did not change: macros/marts/listing_periods.sql);
    - the period of a removal this run took away or moved (int_listings_aggregated
      `removed_at_before_run`): the removal row there vanished;
    - a period whose coverage (crawled and expected site-days per channel) or partial-period flag
      differs from what the mart holds, or every period when the set of channels changed (region
      'all' has a row for every channel in every period).
    A quarter's changes on the previous quarter and the year before also read those quarters:
    `comparison_months` (3 and 12) widens the recomputed periods by the periods that compare with a
    changed one, and the measured periods by the ones they compare with. Only the changed periods'
    measures differ from what the mart holds: the other measured periods' are read back from it.
    Coverage periods only grow (bronze is append-only; a site's span runs from its first to its
    last crawl), so every recomputed period has rows and delete+insert on the period replaces it. -#}

{#- {'published': [...], 'measured': [...], 'changed': [...], 'kept': [...]}: date literals of the
    periods to rewrite, of the periods whose measures they need, of those of them whose measures this
    run changes (recomputed from the listing periods), and of the others (whose measures the mart
    holds); none on a full build (every period). -#}
{% macro market_periods_to_rebuild(grain, comparison_months=[]) -%}
    {#- referenced before the early return, so that parsing records the dependency -#}
    {%- set listings = ref('int_listings_aggregated') -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set spec = market_grain(grain) -%}
    {%- set sql -%}
with

{{ market_coverage_ctes(grain) }},

published_national_rows as (

    select
        {{ spec.period_key }} as period_start,
        channel,
        crawled_site_days,
        expected_site_days,
        is_partial_period
    from {{ this }}
    where region_code = 'all'

),

expected_national_rows as (

    select
        national_grid.period_start,
        national_grid.channel,
        coalesce(coverage.crawled_site_days, 0) as crawled_site_days,
        coalesce(coverage.expected_site_days, 0) as expected_site_days
    from national_grid
    left join coverage
        on
            national_grid.period_start = coverage.period_start
            and national_grid.channel = coverage.channel

),

coverage_changes as (

    -- a national row missing, new or with other site-days (a published row outside the grid
    -- without coverage is a region-'all' row of listings in a channel without sites: no change)
    select coalesce(expected.period_start, published.period_start) as period_start
    from expected_national_rows as expected
    full outer join published_national_rows as published
        on
            expected.period_start = published.period_start
            and expected.channel = published.channel
    where
        published.period_start is null
        or (expected.period_start is null and (published.crawled_site_days <> 0 or published.expected_site_days <> 0))
        or expected.crawled_site_days <> published.crawled_site_days
        or expected.expected_site_days <> published.expected_site_days

),

partial_period_changes as (

    select published.period_start
    from published_national_rows as published
    cross join crawl_span
    where published.is_partial_period <> ({{ is_partial_period('published.period_start', spec.months) }})

),

channel_set_changes as (

    select channel from coverage
    except
    select channel from published_national_rows where expected_site_days > 0
    union all
    select channel from published_national_rows where expected_site_days > 0
    except
    select channel from coverage

),

every_period as (

    select period_start from national_grid
    union
    select period_start from published_national_rows

),

changed_periods as (

    select {{ spec.period_key }} as period_start
    from {{ spec.listing_periods }}
    where loaded_at = {{ load_batch_at() }}
    union
    select {{ spec.period_of('cast(removed_at_before_run as date)') }} as period_start
    from {{ listings }}
    where
        loaded_at = {{ load_batch_at() }}
        and removed_at_before_run is not null
        and not {{ equal_or_both_null('removed_at_before_run', 'removed_at') }}
    union
    select period_start from coverage_changes
    union
    select period_start from partial_period_changes
    union
    select period_start from every_period
    where exists (select 1 from channel_set_changes)

),

published_periods as (

    select period_start from changed_periods
    {%- for months in comparison_months %}
    union
    select {{ add_months('period_start', months) }} as period_start from changed_periods
    {%- endfor %}

),

measured_periods as (

    select period_start from published_periods
    {%- for months in comparison_months %}
    union
    select {{ add_months('period_start', -months) }} as period_start from published_periods
    {%- endfor %}

)

select
    cast(measured_periods.period_start as {{ dbt.type_string() }}) as period_start,
    published_periods.period_start is not null as is_published,
    measured_periods.period_start in (select period_start from changed_periods) as is_changed
from measured_periods
left join published_periods
    on measured_periods.period_start = published_periods.period_start
order by 1
    {%- endset -%}
    {%- set rows = run_query(sql).rows -%}
    {%- set measured, published, changed, kept, named = [], [], [], [], [] -%}
    {%- for row in rows -%}
        {%- set literal = "cast('" ~ row[0] ~ "' as date)" -%}
        {%- do measured.append(literal) -%}
        {%- if row[1] -%}
            {%- do published.append(literal) -%}
            {%- do named.append(row[0]) -%}
        {%- endif -%}
        {%- do (changed if row[2] else kept).append(literal) -%}
    {%- endfor -%}
    {#- in the debug log (WAREHOUSE/logs/dbt.log); tests/python/test_incremental_marts.py reads it -#}
    {{ log('market periods to rebuild (' ~ grain ~ '): [' ~ (named | join(', ')) ~ '], measured: ' ~ (measured | length) ~ ', recomputed: ' ~ (changed | length)) }}
    {{ return({'published': published, 'measured': measured, 'changed': changed, 'kept': kept}) }}
{%- endmacro %}

{#- What differs between the monthly and the quarterly market mart. -#}
{% macro market_grain(grain) -%}
    {%- if grain == 'month' -%}
        {{ return({
            'listing_periods': ref('int_listing_months_summarized'),
            'period_key': 'month_start',
            'period_of': month_start,
            'months': 1,
        }) }}
    {%- else -%}
        {{ return({
            'listing_periods': ref('int_listing_quarters_summarized'),
            'period_key': 'quarter_start',
            'period_of': quarter_start,
            'months': 3,
        }) }}
    {%- endif -%}
{%- endmacro %}

{#- The period starting on `period_start` (`months` long) is only partly inside the crawled span (the
    first or the latest period); needs the CTE crawl_span. -#}
{% macro is_partial_period(period_start, months) -%}
    {{ period_start }} < crawl_span.first_crawl_date
    or {{ add_days(add_months(period_start, months), -1) }} > crawl_span.last_crawl_date
{%- endmacro %}
