{#- Full builds in slices of months (docs/marts.md "Incremental runs"), used by
    int_observations_deduplicated (macros/incremental/deduplicated_observations.sql) and the state
    models built by merged_state (macros/incremental/merged_state.sql). -#}

{#- A full build in slices (docs/marts.md "Incremental runs"): consecutive months of `relation`
    (`month_expression`, a month start date), grouped into slices of at least `rows_per_slice` rows
    (WAYBILL_WATCH_FULL_BUILD_SLICE_ROWS, default 10M: about what one statement aggregates or ranks
    in memory here), as [first month, month after the last] date literal pairs. Up to 10M rows
    of history is one slice, built in one statement. -#}
{% macro full_build_slices(relation, month_expression, rows_per_slice=none) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set limit = (rows_per_slice or env_var('WAYBILL_WATCH_FULL_BUILD_SLICE_ROWS', '10000000')) | int -%}
    {%- set sql -%}
        select cast({{ month_expression }} as {{ dbt.type_string() }}) as slice_month, count(*) as slice_rows
        from {{ relation }}
        where {{ month_expression }} is not null
        group by {{ month_expression }}
        order by 1
    {%- endset -%}
    {%- set slices = [] -%}
    {%- set current = {'first': none, 'rows': 0} -%}
    {%- for month, rows in run_query(sql).rows -%}
        {%- if current.first is none -%}
            {%- do current.update({'first': month, 'rows': 0}) -%}
        {%- endif -%}
        {%- do current.update({'rows': current.rows + rows}) -%}
        {%- if current.rows >= limit or loop.last -%}
            {%- do slices.append([
                "cast('" ~ current.first ~ "' as date)",
                "cast(" ~ dbt.dateadd('month', 1, "cast('" ~ month ~ "' as date)") ~ " as date)",
            ]) -%}
            {%- do current.update({'first': none}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(slices) }}
{%- endmacro %}

{#- Whether `relation` has a row where `condition` holds, found by reading rows until one shows,
    not by scanning the table. -#}
{% macro has_row(relation, condition='true') -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set probe -%}
        select count(*) from (
            select 1 as found from {{ relation }}
            where {{ condition }}
            limit 1
        ) as any_row
    {%- endset -%}
    {{ return(run_query(probe).columns[0].values()[0] > 0) }}
{%- endmacro %}

{#- Whether every row of `this` carries this run's load batch (a full build just wrote it): no row of
    an older batch (an incremental run). `is_incremental()` cannot tell: in a post-hook after a first
    build the table exists. -#}
{% macro written_by_this_full_build() -%}
    {{ return(execute and not has_row(this, 'loaded_at <> ' ~ load_batch_at())) }}
{%- endmacro %}

{#- For the post-hook of a model a full build writes in slices (the first in the model's own
    statement): the slices of `relation` (`full_build_slices`) with no row in `this` yet, after a full build (`written_by_this_full_build`); none otherwise.
    `this_month_column` is the table's month column. -#}
{% macro remaining_full_build_slices(relation, month_expression, this_month_column) -%}
    {%- if not execute or not written_by_this_full_build() -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set written_sql -%}
        select distinct cast({{ this_month_column }} as {{ dbt.type_string() }}) from {{ this }}
    {%- endset -%}
    {%- set written = run_query(written_sql).columns[0].values() | list -%}
    {%- set remaining = [] -%}
    {%- for slice in full_build_slices(relation, month_expression) -%}
        {%- set first = slice[0].split("'")[1] -%}
        {%- if first not in written -%}
            {%- do remaining.append(slice) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(remaining) }}
{%- endmacro %}

{#- The rows of `relation` whose month `column` falls in `slice` ([first, end) date literals), as a
    derived table. -#}
{% macro slice_of(relation, column, slice) -%}
    (select * from {{ relation }} where {{ column }} >= {{ slice[0] }} and {{ column }} < {{ slice[1] }}) as sliced_rows
{%- endmacro %}
