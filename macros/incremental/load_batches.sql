{#- Incremental loading by batch (docs/marts.md "Incremental runs").

    Every row that staging takes from bronze carries `loaded_at`, the start of the dbt invocation
    that loaded it (one batch per run). A downstream incremental model takes the rows of the
    batches it has not seen yet: `loaded_at` greater than the greatest `loaded_at` it holds itself.
    Both values are inlined as literals at run time, so DuckDB prunes row groups by their min/max
    (zone maps) instead of scanning the history. -#}

{#- The batch stamp of this invocation, as a SQL timestamp literal. -#}
{% macro load_batch_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- The greatest `column` of the model being built ({{ this }}), as a SQL literal; a literal null on a
    full build or an empty table (then every batch is new). -#}
{% macro incremental_watermark(column='loaded_at') -%}
    {%- set value = none -%}
    {%- if execute and is_incremental() -%}
        {%- set result = run_query('select max(' ~ column ~ ') from ' ~ this) -%}
        {%- set value = result.columns[0].values()[0] -%}
    {%- endif -%}
    {%- if value is none -%}
        cast(null as {{ dbt.type_timestamp() }})
    {%- else -%}
        cast('{{ value }}' as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}

{#- Rows of batches newer than the model's watermark (all rows on a full build). -#}
{% macro is_new_batch(column='loaded_at') -%}
    {%- if is_incremental() -%}
        {%- set watermark = incremental_watermark(column) -%}
        ({{ column }} > {{ watermark }} or {{ watermark }} is null)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The bronze Parquet files of `directory` that no earlier run has merged, as a list of paths: those
    not named in the file ledger int_bronze_files_loaded (every file on a full refresh, or when the
    ledger does not exist yet). Bronze files are immutable and named by content hash (docs/bronze.md),
    so a file merged once is never read again. The ledger is looked up by name, not `ref`: it is
    built downstream of the staging model that calls this, after de-duplication, so a run that fails
    before the ledger is written leaves its files to the next run. -#}
{% macro new_bronze_files(directory) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set ledger = loaded_bronze_files_ledger() -%}
    {%- set sql -%}
        select file
        from glob('{{ directory }}/*.parquet')
        where parse_filename(file) <> '_empty.parquet'
        {%- if ledger is not none %}
            and parse_filename(file) not in (select bronze_file from {{ ledger }})
        {%- endif %}
        order by file
    {%- endset -%}
    {{ return(run_query(sql).columns[0].values() | list) }}
{%- endmacro %}

{#- The relation of the file ledger (int_bronze_files_loaded), or none on a full refresh or before
    its first build. -#}
{% macro loaded_bronze_files_ledger() -%}
    {%- if flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes.values() | selectattr('name', 'equalto', 'int_bronze_files_loaded') | first -%}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}

{#- read_parquet over the given bronze files of `directory`, plus its `_empty.parquet` (full schema,
    zero rows), with the file name of every row in `filename`. -#}
{% macro read_bronze_files(directory, files) -%}
    {%- set paths = [directory ~ '/_empty.parquet'] + files -%}
    read_parquet([
        {%- for path in paths %}'{{ path | replace("'", "''") }}'{{ ',' if not loop.last }}{% endfor -%}
    ], union_by_name = true, filename = true)
{%- endmacro %}

{#- The distinct values of `column` among the rows of `relation` (an upstream incremental model
    stamped with `loaded_at`) in batches newer than the watermark of the model being built, as a
    list of SQL literals (`cast('…' as <data_type>)`); an empty list on a full build. A state model
    recomputes only the periods (days, months) the new batches touch, and the literals let DuckDB
    skip the row groups of other periods (docs/marts.md "Incremental runs"). -#}
{% macro new_batch_values(relation, column, data_type='date') -%}
    {%- if not execute or not is_incremental() -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set sql -%}
        select distinct cast({{ column }} as {{ dbt.type_string() }})
        from {{ relation }}
        where {{ is_new_batch() }} and {{ column }} is not null
        order by 1
    {%- endset -%}
    {%- set literals = [] -%}
    {%- for value in run_query(sql).columns[0].values() -%}
        {%- do literals.append("cast('" ~ value ~ "' as " ~ data_type ~ ")") -%}
    {%- endfor -%}
    {{ return(literals) }}
{%- endmacro %}

{#- `column in (literals…)`; false for an empty list (no new batch: nothing to recompute). -#}
{% macro in_literals(column, literals) -%}
    {%- if literals | length == 0 -%}
        false
    {%- else -%}
        {{ column }} in ({{ literals | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{#- How many rows of `relation` (int_observations_deduplicated) the batches newer than the watermark
    of the model being built re-chose: rows of (listing, instant) keys that were already there before
    those batches (`first_loaded_at` not newer than the watermark; a re-delivered copy). A state model
    merges only new keys into its rows; the periods such rows touch are recomputed from all their
    observations instead (a re-chosen copy may change a value already aggregated). 0 on a full build. -#}
{% macro count_rechosen_rows(relation) -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set sql -%}
        select count(*) from {{ relation }}
        where {{ is_new_batch() }} and not {{ is_new_key() }}
    {%- endset -%}
    {{ return(run_query(sql).columns[0].values()[0]) }}
{%- endmacro %}

{#- Rows whose (listing, instant) key first arrived in a batch newer than the model's watermark. -#}
{% macro is_new_key() -%}
    {%- if is_incremental() -%}
        {%- set watermark = incremental_watermark('loaded_at') -%}
        (first_loaded_at > {{ watermark }} or {{ watermark }} is null)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
