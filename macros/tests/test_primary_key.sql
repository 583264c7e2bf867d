{#- Primary-key test: the key (one column, or the combination `column_names`) is never null, in
    any part, and no two rows share it. One query and one dbt node where `unique` + `not_null` (and
    one `not_null` per part of a composite key) were two to four: a daily run's time is mostly
    dbt's per-node overhead (issue 7). Our conventions (tests/python/test_conventions.py) take
    it as the model's tested primary key, as dbt-project-evaluator takes the tests listed in its
    `primary_key_test_macros`. Column-level (`column_name`) for a single key, model-level
    (`column_names`) for a composite one. A failing test returns the offending keys with their
    row count: a null part, or n_rows > 1.

    `new_rows` (a condition; `__this_batch__` as in a test's `where`) is for the append-only models
    (the crawl text dictionaries, the bronze file ledger): only the keys of the rows it selects are checked,
    against every row of the table. A row that does not match it was appended, and checked, by an
    earlier run and is never changed, so the table's key stays unique, while a daily run no longer
    groups every key ever seen (int_url_texts_normalized: 2.76M urls at 100M observations, 1.2 s on
    the daily run's critical path). A full build's rows are all of its batch: every key is checked. -#}
{% test primary_key(model, column_name=none, column_names=none, new_rows=none) %}
    {%- set key_columns = column_names if column_names else [column_name] %}
    {%- set columns_csv = key_columns | join(', ') %}
    {%- set key_hash = waybill_watch.hash64(key_columns) %}

with

{%- if new_rows %}

new_hashes as (

    select distinct {{ key_hash }} as key_hash
    from {{ model }}
    where {{ new_rows | replace('__this_batch__', load_batch_at()) }}

),
{%- endif %}

{#- A first pass groups the rows by a 64-bit hash of the key; only the rows of a hash seen twice or
    with a null key part are grouped by the key itself. Grouping every row by the key (a
    32-character listing key, until session 16, and an instant on int_observations_deduplicated) was the test's cost:
    10M rows 1.29–1.60 s, with the first pass 1.00–1.16 s. A duplicated key always shares its
    hash, so nothing is missed; two keys that only share a hash are compared exactly. #}
hashed as (

    select
        {{ key_hash }} as key_hash,
        count(*) as n_rows
        {%- for column in key_columns %},
        count({{ column }}) as n_part_{{ loop.index }}
        {%- endfor %}
    from {{ model }}
    {%- if new_rows %}
    where {{ key_hash }} in (select key_hash from new_hashes)
    {%- endif %}
    group by {{ key_hash }}

),

suspect_hashes as (

    select key_hash
    from hashed
    where
        n_rows > 1
        {%- for column in key_columns %}
        or n_part_{{ loop.index }} < n_rows
        {%- endfor %}

),

grouped as (

    select
        {{ columns_csv }},
        count(*) as n_rows
    from {{ model }}
    where {{ key_hash }} in (select key_hash from suspect_hashes)
    group by {{ columns_csv }}

),

final as (

    select *
    from grouped
    where
        n_rows > 1
        {%- for column in key_columns %}
        or {{ column }} is null
        {%- endfor %}

)

select * from final
{% endtest %}
