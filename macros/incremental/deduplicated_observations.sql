{#- The body of int_observations_deduplicated (its docs say what it does), over the enriched rows
    `relation`; `incremental`: the model's is_incremental() (passed: a post-hook after a first build
    sees the table and would answer true). `months` ([first, end) date literals, or none): on a full
    build, only the rows fetched in those Asia/Shanghai months (and, in the `first_slice`, any row
    without a fetch instant, which no test lets through but no slice may lose); `table_only`: no row
    (a full build's own statement, which only creates the table); `batch_rows`: a relation holding
    the same rows' `fetched_at_utc` and `loaded_at` that is cheaper to read (staging), for a run's
    fetch range. A full build writes one slice of
    months per statement, all in the model's post-hook (`later_deduplicated_months`; planned once by
    `full_build_slices`: the plan scans every bronze row's fetch instant, 3.7 s at 100M rows, and was
    made twice while the model's own statement wrote the first slice): the copies of a (listing,
    instant) share the instant, so each slice is resolved alone, exactly (`resolve_repeated_copies`);
    a slice is read from its own bronze files only (a bronze file holds about a day's fetches;
    Parquet min/max statistics skip the others), and the table is written slice by slice, in month
    order, so later scans of a month skip the others by zone maps. -#}
{% macro deduplicated_observations(relation, incremental, months=none, first_slice=true, table_only=false, batch_rows=none) %}

{#- What the listing, period and coverage state and the warn tests downstream read, and the way
    back to the evidence: file_hash and line_no (the bronze row, whose observation_id hashes the
    two: its listing_id, texts, url, contact and HTTP status are one join away in
    int_observations_enriched, a view on bronze) and file_path. Written here, the texts and keys
    nothing downstream read took half of the write of this table (10M rows: 22.6 s with all 44
    columns, 11.8 s without 14 of them; the model in a 10M full build: 48.9 s with all, 40.0 s
    with these). Unique 32-character md5 texts are the dearest columns to write (DuckDB's
    dictionary + FSST compression finds nothing to share: 2.3–2.5 s each at 10M against ~0.5 s
    for a text of few values), hence no md5 of the (listing, instant) key and no observation_id
    here: the pair is the key, and file_hash with line_no names the bronze row. The seller is its
    integer stand-in `seller_num` (int_seller_keys_numbered): the 52-character pseudonym was the
    dearest column left (3.9 s of the 10M write alone; the model 25.97 → 22.40 s with the
    dictionary join; at 100M rows the two dictionaries, this model and the listing-month state
    took 324.8 s against 341.2 s with the text, one run each on the same bronze). The listing is
    its integer key `listing_num` likewise (macros/normalize/url.sql), not the 32-character md5
    text (2.6 of the 12.5 s a 12.65M-row slice took to copy at 100M). -#}
{#- The new batches' rows, asked once: the watermark query reads this table's 100M `loaded_at`. -#}
{%- set new_batch = is_new_batch() if incremental else ('false' if table_only else 'true') %}
{%- set columns = [
    'listing_num', 'site', 'channel', 'run_id', 'crawler',
    'file_hash', 'file_path', 'file_mtime', 'line_no', 'fetched_at_utc', 'fetched_at_local', 'fetched_date_local',
    'seller_num', 'price_text', 'unit_price', 'price_currency', 'unit_price_cny', 'is_price_outlier',
    'records_offered', 'region_code', 'city_code', 'carrier_codes', 'freshness',
    'sample_record_count', 'has_unmasked_samples', 'status', 'is_removal_fetch', 'loaded_at',
] %}

with

new_rows as (

    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        cast(1 as {{ dbt.type_bigint() }}) as copies,
        loaded_at as first_loaded_at
    from {{ relation }}
    where {{ new_batch }}
    {%- if months is not none %}
        and ({{ fetched_in_local_months('fetched_at_utc', months) }}{{ ' or fetched_at_utc is null' if first_slice }})
    {%- endif %}

),

{% if incremental %}
{%- set fetch_range = batch_fetch_range(batch_rows or relation, new_batch) %}

touched_keys as (

    select distinct listing_num, fetched_at_utc
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
            kept.listing_num = touched_keys.listing_num
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

{#- A full build writes every row as its key's only copy, and the post-hook then resolves the keys
    delivered more than once (`resolve_repeated_copies`): ranking every row (a window over the whole
    table) spilled ~40 GB to disk at 100M rows, and ranking only the copies of repeated keys before
    the write computed the enrichment of every row two to three times (the model at 10M rows:
    38.1 s; written once and resolved after: 31.9 s, the same rows). -#}
single_copies as (

    select
        new_rows.*,
        cast(1 as {{ dbt.type_bigint() }}) as copy_rank,
        new_rows.copies as delivered_copies,
        new_rows.loaded_at as batch_loaded_at,
        new_rows.first_loaded_at as key_first_loaded_at
    from new_rows

),

{% endif %}

final as (

    select
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
    from {{ 'ranked' if incremental else 'single_copies' }}
    where copy_rank = 1

)

select * from final

{% endmacro %}

{#- Post-hook of int_observations_deduplicated: after a full build (whose own statement created the
    table without rows), every row, one slice of months per insert (one insert when there is one
    slice); nothing in an incremental run. The slices are planned on `staging` (the same rows,
    without the enrichment joins: a cheaper count per month). A full build is told by the empty
    table: an incremental run's statement has just inserted its new rows, and one with none reads
    no bronze file, so it would insert nothing. -#}
{% macro later_deduplicated_months(relation, staging) %}
    {%- if not execute or has_row(this) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set slices = full_build_slices(staging, month_start(shanghai_local_date('fetched_at_utc'))) -%}
    {%- for months in (slices if slices | length > 1 else [none]) -%}
        {%- call statement('full_build_slice') -%}
            insert into {{ this }}
            select * from (
                {{ deduplicated_observations(relation, false, months, first_slice=loop.first) }}
            ) as slice_rows
        {%- endcall -%}
    {%- endfor -%}
{% endmacro %}

{#- Post-hook of int_observations_deduplicated after its commit: after a full build, the keys
    delivered more than once, slice by slice (`resolve_repeated_copies`; the slices planned on the
    table's months, as the build planned them on staging's); nothing in an incremental run. After
    the commit, because deleting rows of a table created in the same transaction made DuckDB
    rewrite the whole table at commit (10M rows: 20.5 s); a build that stops between the two
    rebuilds next time (docs/marts.md). -#}
{% macro resolve_deduplicated_months() %}
    {%- if not written_by_this_full_build() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set slices = full_build_slices(this, 'month_start') -%}
    {%- for months in (slices if slices | length > 1 else [none]) -%}
        {%- do resolve_repeated_copies(months) -%}
    {%- endfor -%}
    {#- the queries above opened a transaction (dbt begins one on the first statement) -#}
    {%- do adapter.commit() -%}
{% endmacro %}

{#- After a full build wrote every row of the Asia/Shanghai `months` ([first, end) date literals;
    none: the whole table) as its key's only copy (delivered_copies = 1), the keys with more than
    one row there: their copies ranked as an incremental run ranks them (`ranked_copies`: the copy
    delivered first wins, with the copies counted), the winner inserted with its count (2 or more),
    then every single-copy row of those keys deleted. Two plain statements (an insert, then a delete
    with `exists`, which Spark's Delta DELETE also takes); the rows of a key share its fetch instant,
    so a slice holds all of them. A row without a key (which the not-null tests report) is left as
    it is. -#}
{% macro resolve_repeated_copies(months) %}
    {%- set in_slice = {} -%}
    {%- for alias in ['', 'slice_rows.', 'copy_rows.', 'winners.'] -%}
        {%- do in_slice.update({alias: fetched_in_local_months(alias ~ 'fetched_at_utc', months) if months is not none else 'true'}) -%}
    {%- endfor -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- call statement('resolve_repeated_copies') -%}
        insert into {{ this }} ({{ columns | join(', ') }})
        with

        repeated_keys as (

            select listing_num, fetched_at_utc
            from {{ this }}
            where
                {{ in_slice[''] }}
                and delivered_copies = 1
                and listing_num is not null
                and fetched_at_utc is not null
            group by listing_num, fetched_at_utc
            having count(*) > 1

        ),

        candidates as (

            -- the copies of those keys (read from the table, not through a CTE read twice, which
            -- DuckDB would store whole)
            select
                {%- for column in columns if column != 'delivered_copies' %}
                slice_rows.{{ column }},
                {%- endfor %}
                slice_rows.delivered_copies as copies
            from {{ this }} as slice_rows
            inner join repeated_keys
                on
                    slice_rows.listing_num = repeated_keys.listing_num
                    and slice_rows.fetched_at_utc = repeated_keys.fetched_at_utc
            where {{ in_slice['slice_rows.'] }} and slice_rows.delivered_copies = 1

        ),

        {{ ranked_copies('candidates') | indent(8) }}

        winners as (

            select
                {%- for column in columns %}
                {%- if column == 'delivered_copies' %}
                cast(ranked.delivered_copies as {{ dbt.type_bigint() }}) as delivered_copies
                {%- elif column == 'loaded_at' %}
                ranked.batch_loaded_at as loaded_at
                {%- elif column == 'first_loaded_at' %}
                ranked.key_first_loaded_at as first_loaded_at
                {%- else %}
                ranked.{{ column }}
                {%- endif %}{{ ',' if not loop.last }}
                {%- endfor %}
            from ranked
            where ranked.copy_rank = 1

        )

        select * from winners
    {%- endcall -%}
    {%- call statement('delete_resolved_copies') -%}
        delete from {{ this }} as copy_rows
        where
            {{ in_slice['copy_rows.'] }}
            and copy_rows.delivered_copies = 1
            and exists (
                select 1
                from {{ this }} as winners
                where
                    {{ in_slice['winners.'] }}
                    and winners.delivered_copies > 1
                    and winners.listing_num = copy_rows.listing_num
                    and winners.fetched_at_utc = copy_rows.fetched_at_utc
            )
    {%- endcall -%}
{% endmacro %}

{#- `ts_utc` (a naive UTC instant) falls in the Asia/Shanghai months [first, end) of `months` (date
    literals): a range on the instant itself, so Parquet statistics and zone maps skip other files. -#}
{% macro fetched_in_local_months(ts_utc, months) -%}
    {{ ts_utc }} >= {{ shanghai_local_to_utc('cast(' ~ months[0] ~ ' as ' ~ dbt.type_timestamp() ~ ')') }}
    and {{ ts_utc }} < {{ shanghai_local_to_utc('cast(' ~ months[1] ~ ' as ' ~ dbt.type_timestamp() ~ ')') }}
{%- endmacro %}

{#- The earliest and latest fetch instant of the rows of `relation` that `new_batch` selects (the
    new load batches), as timestamp literals; none when the batches have no rows. -#}
{% macro batch_fetch_range(relation, new_batch) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set sql -%}
        select
            cast(min(fetched_at_utc) as {{ dbt.type_string() }}),
            cast(max(fetched_at_utc) as {{ dbt.type_string() }})
        from {{ relation }}
        where {{ new_batch }}
    {%- endset -%}
    {%- set row = run_query(sql).rows[0] -%}
    {%- if row[0] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(["cast('" ~ row[0] ~ "' as " ~ dbt.type_timestamp() ~ ")", "cast('" ~ row[1] ~ "' as " ~ dbt.type_timestamp() ~ ")"]) }}
{%- endmacro %}
