{#- The body of an incremental state model over int_observations_deduplicated (docs/marts.md
    "Incremental runs"): int_listing_months_aggregated (listing × month) and
    int_site_crawl_runs_aggregated (site × day × crawl run).

    A state row aggregates the observations of one group (`state_keys`, e.g. listing_num and
    month_start) by `states(relation)`; `combined(relation)` combines several states of the same
    group into one, giving what `states` gives over all their observations (sums, minima, maxima,
    latest by time). A run reads only the rows of the new load batches:
      - rows of new (listing, instant) keys: their states are combined with the earlier states of the
        same groups (`state_columns(prefix)` lists a state's columns), and replace them
        (delete+insert on `unique_key`, which must be `period_keys` in state names);
      - rows of re-chosen keys (a re-delivered copy, which may change a value already aggregated):
        their periods (`period_keys`, the observation columns naming the period, e.g. listing_num and
        month_start) are recomputed from all their observations.
    A full build aggregates every observation.

    `period_keys` and `state_period_keys` name the same period in the observations and in the
    state (fetched_date_local is a state's crawl_date); the last of them is a date column used to
    let DuckDB skip row groups of other periods (inlined literals).

    `full_build_slice` (a month column of both, e.g. month_start): a full build aggregates the first
    slice of months here (`full_build_slices`) and the others in `later_full_build_slices` (the
    model's post-hook), one statement each. One group-by over every observation spilled more than
    19 GB at 100M rows: little aggregates before a spill when rows arrive in bronze-file order;
    ~10M observations' groups fit in memory. -#}
{% macro merged_state(relation, period_keys, state_period_keys, states, combined, state_columns, full_build_slice=none) %}

{%- if is_incremental() %}
{%- set rechosen_rows = count_rechosen_rows(relation) %}
{%- set period_column = period_keys[-1] %}
{%- set rechosen_periods = new_batch_values(relation, period_column) if rechosen_rows > 0 else [] %}

with

batch_rows as (

    -- the rows of the new load batches (DuckDB skips older row groups: loaded_at is a literal)
    select * from {{ relation }}
    where {{ is_new_batch() }}

),

{%- if rechosen_rows > 0 %}

rechosen_periods as (

    select distinct {{ period_keys | join(', ') }}
    from batch_rows
    where not {{ is_new_key() }}

),

rechosen_observations as (

    -- every observation of a period with a re-chosen key
    select observations.*
    from {{ relation }} as observations
    inner join rechosen_periods
        on
        {%- for key in period_keys %}
            {{ 'and ' if not loop.first }}observations.{{ key }} = rechosen_periods.{{ key }}
        {%- endfor %}
    where {{ in_literals('observations.' ~ period_column, rechosen_periods) }}

),

recomputed as (
    {{ states('rechosen_observations') }}
),

{%- endif %}

new_observations as (

    select batch_rows.*
    from batch_rows
    {%- if rechosen_rows > 0 %}
    left join rechosen_periods
        on
        {%- for key in period_keys %}
            {{ 'and ' if not loop.first }}batch_rows.{{ key }} = rechosen_periods.{{ key }}
        {%- endfor %}
    where rechosen_periods.{{ period_keys[0] }} is null
    {%- endif %}

),

new_states as (
    {{ states('new_observations') }}
),

touched_periods as (

    select distinct {{ state_period_keys | join(', ') }}
    from new_states

),

earlier_states as (

    -- the states so far of the periods the new keys touch (delete+insert replaces the period)
    select {{ state_columns('earlier') }}
    from {{ this }} as earlier
    inner join touched_periods
        on
        {%- for key in state_period_keys %}
            {{ 'and ' if not loop.first }}earlier.{{ key }} = touched_periods.{{ key }}
        {%- endfor %}

),

both_states as (

    select * from new_states
    union all
    select * from earlier_states

),

merged as (
    {{ combined('both_states') }}
),

final as (

    select * from merged
    {%- if rechosen_rows > 0 %}
    union all
    select * from recomputed
    {%- endif %}

)

select * from final

{%- elif full_build_slice is not none %}
{%- set slices = full_build_slices(relation, full_build_slice) %}

{{ states(slice_of(relation, full_build_slice, slices[0]) if slices | length > 1 else relation) }}

{%- else %}

{{ states(relation) }}

{%- endif %}

{% endmacro %}

{#- The post-hook of a model built by `merged_state` with a `full_build_slice`: after a full build
    (which wrote the first slice), the states of the other slices, one insert each; nothing in an
    incremental run. -#}
{% macro later_full_build_slices(relation, column, states) %}
    {%- for slice in remaining_full_build_slices(relation, column, column) -%}
        {%- call statement('full_build_slice') -%}
            insert into {{ this }}
            {{ states(slice_of(relation, column, slice)) }}
        {%- endcall -%}
    {%- endfor -%}
{% endmacro %}
