{#- The body of int_observations_deduplicated (its docs say what it does), over the enriched rows
    `relation`; `incremental`: the model's is_incremental() (passed: a post-hook after a first build
    sees the table and would answer true). `months` ([first, end) date literals, or none): on a full
    build, only the rows fetched in those Asia/Shanghai months (and, in the `first_slice`, any row
    without a fetch instant, which no test lets through but no slice may lose). A full build of more than ~10M rows
    writes one slice of months per statement (`full_build_slices`), the first in the model's own
    statement and the others in its post-hook (`later_deduplicated_months`): the copies of a
    (listing, instant) share the instant, so each slice ranks alone, exactly; a slice is read from
    its own bronze files only (a bronze file holds about a day's fetches; Parquet min/max statistics
    skip the others), and the table is written slice by slice, in month order, so later scans of a
    month skip the others by zone maps. -#}
{% macro deduplicated_observations(relation, incremental, months=none, first_slice=true) %}

{#- What the listing, period and coverage state and the warn tests downstream read, and the way
    back to the evidence: observation_id (the bronze row: its texts, url, contact, file hash and
    HTTP status are one join away in int_observations_enriched, a view on bronze), file_path and
    line_no. Written here, the texts and keys nothing downstream read took half of the write of
    this table (10M rows: 22.6 s with all 44 columns, 11.8 s without 14 of them; the model in a
    10M full build: 48.9 s with all, 40.0 s with these). -#}
{%- set columns = [
    'observation_id', 'listing_key', 'site', 'channel', 'listing_id', 'run_id', 'crawler',
    'file_path', 'file_mtime', 'line_no', 'fetched_at_utc', 'fetched_at_local', 'fetched_date_local',
    'seller_key', 'price_text', 'unit_price', 'price_currency', 'unit_price_cny', 'is_price_outlier',
    'records_offered', 'region_code', 'city_code', 'carrier_codes', 'freshness',
    'sample_record_count', 'has_unmasked_samples', 'status', 'is_removal_fetch', 'loaded_at',
] %}

with

new_rows as {% if not incremental %}{{ waybill_watch.inlined_cte() }} {% endif %}(

    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        cast(1 as {{ dbt.type_bigint() }}) as copies,
        loaded_at as first_loaded_at
    from {{ relation }}
    where {{ is_new_batch() if incremental else 'true' }}
    {%- if months is not none %}
        and ({{ fetched_in_local_months('fetched_at_utc', months) }}{{ ' or fetched_at_utc is null' if first_slice }})
    {%- endif %}

),

{% if incremental %}
{%- set fetch_range = batch_fetch_range(relation) %}

touched_keys as (

    select distinct listing_key, fetched_at_utc
    from new_rows

),

kept_rows as (

    -- the copy kept so far of each touched (listing, instant), standing for all copies counted so far
    select
        {%- for column in columns %}
        kept.{{ column }},
        {%- endfor %}
        kept.delivered_copies as copies,
        kept.first_loaded_at
    from {{ this }} as kept
    inner join touched_keys
        on
            kept.listing_key = touched_keys.listing_key
            and kept.fetched_at_utc = touched_keys.fetched_at_utc
    {%- if fetch_range %}
    -- literals: DuckDB skips the row groups (zone maps) of other fetch months
    where kept.fetched_at_utc between {{ fetch_range[0] }} and {{ fetch_range[1] }}
    {%- endif %}

),

candidates as (

    select * from new_rows
    union all
    select * from kept_rows

),

{{ ranked_copies('candidates') }}

{% else %}

{#- A full build: most (listing, instant) keys are delivered once, and ranking every row (a window
    over the whole table) spills all of it to disk: ~40 GB at 100M rows, more than this machine
    had. Only the rows of keys delivered more than once are ranked; the others are their key's
    only copy. Repeated keys are found by a 64-bit hash of the key (a collision only sends a few
    single copies through the ranking, which keeps them). The row CTEs read more than once are
    inlined (`inlined_cte`, and DuckDB's common-subplan optimizer is off for a full build: both
    would store every row once more, in the temp directory). -#}
repeated_key_hashes as (

    select {{ waybill_watch.hash64(['listing_key', 'fetched_at_utc']) }} as key_hash
    from new_rows
    group by {{ waybill_watch.hash64(['listing_key', 'fetched_at_utc']) }}
    having count(*) > 1

),

flagged_rows as {{ waybill_watch.inlined_cte() }} (

    select
        new_rows.*,
        repeated_key_hashes.key_hash is not null as is_repeated_key
    from new_rows
    left join repeated_key_hashes
        on {{ waybill_watch.hash64(['new_rows.listing_key', 'new_rows.fetched_at_utc']) }} = repeated_key_hashes.key_hash

),

candidates as (

    -- the copies of repeated keys, to be ranked
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        copies,
        first_loaded_at
    from flagged_rows
    where is_repeated_key

),

{{ ranked_copies('candidates') }}

single_copies as (

    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        copies,
        first_loaded_at,
        cast(1 as {{ dbt.type_bigint() }}) as copy_rank,
        copies as delivered_copies,
        loaded_at as batch_loaded_at,
        first_loaded_at as key_first_loaded_at
    from flagged_rows
    where not is_repeated_key

),

{% endif %}

final as (

    select
        {{ dbt.hash(dbt.concat(["listing_key", "'|'", "cast(fetched_at_utc as " ~ dbt.type_string() ~ ")"])) }}
            as observation_key,
        {%- for column in columns if column != 'loaded_at' %}
        {{ column }},
        {%- if column == 'fetched_date_local' %}
        {{ month_start('fetched_date_local') }} as month_start,
        {{ quarter_start('fetched_date_local') }} as quarter_start,
        {%- endif %}
        {%- endfor %}
        cast(delivered_copies as {{ dbt.type_bigint() }}) as delivered_copies,
        -- the latest load batch that delivered a copy: the run that (re)chose this row
        batch_loaded_at as loaded_at,
        -- the load batch that first delivered this (listing, instant): later batches only re-chose it
        key_first_loaded_at as first_loaded_at
    from (
        select * from ranked
        {%- if not incremental %}
        union all
        select * from single_copies
        {%- endif %}
    ) as chosen
    where copy_rank = 1

)

select * from final

{% endmacro %}

{#- Post-hook of int_observations_deduplicated: after a full build (which wrote the first slice of
    months), the other slices, one insert each; nothing in an incremental run. The slices are
    planned on `staging` (the same rows, without the enrichment joins: a cheaper count per month). -#}
{% macro later_deduplicated_months(relation, staging) %}
    {%- set month = month_start(shanghai_local_date('fetched_at_utc')) -%}
    {%- for months in remaining_full_build_slices(staging, month, 'month_start') -%}
        {%- call statement('full_build_slice') -%}
            insert into {{ this }}
            select * from (
                {{ deduplicated_observations(relation, false, months, first_slice=false) }}
            ) as slice_rows
        {%- endcall -%}
    {%- endfor -%}
{% endmacro %}

{#- `ts_utc` (a naive UTC instant) falls in the Asia/Shanghai months [first, end) of `months` (date
    literals): a range on the instant itself, so Parquet statistics and zone maps skip other files. -#}
{% macro fetched_in_local_months(ts_utc, months) -%}
    {{ ts_utc }} >= {{ shanghai_local_to_utc('cast(' ~ months[0] ~ ' as ' ~ dbt.type_timestamp() ~ ')') }}
    and {{ ts_utc }} < {{ shanghai_local_to_utc('cast(' ~ months[1] ~ ' as ' ~ dbt.type_timestamp() ~ ')') }}
{%- endmacro %}

{#- The earliest and latest fetch instant of the new load batches' rows in `relation`, as timestamp
    literals; none when the batches have no rows. -#}
{% macro batch_fetch_range(relation) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set sql -%}
        select
            cast(min(fetched_at_utc) as {{ dbt.type_string() }}),
            cast(max(fetched_at_utc) as {{ dbt.type_string() }})
        from {{ relation }}
        where {{ is_new_batch() }}
    {%- endset -%}
    {%- set row = run_query(sql).rows[0] -%}
    {%- if row[0] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(["cast('" ~ row[0] ~ "' as " ~ dbt.type_timestamp() ~ ")", "cast('" ~ row[1] ~ "' as " ~ dbt.type_timestamp() ~ ")"]) }}
{%- endmacro %}
