{#- The `ranked` CTE of int_observations_deduplicated: the copies in `relation` of each (listing,
    instant), ranked: the copy delivered first wins (earliest landed file, then path, then line),
    which is stable across runs; with the key's copies counted (`copies` of each row: 1, or the
    count a kept row already stands for), its latest load batch and its first. -#}
{% macro ranked_copies(relation) %}
ranked as (

    select
        {{ relation }}.*,
        row_number() over (
            partition by {{ relation }}.listing_num, {{ relation }}.fetched_at_utc
            order by {{ relation }}.file_mtime, {{ relation }}.file_path, {{ relation }}.line_no
        ) as copy_rank,
        sum({{ relation }}.copies) over (
            partition by {{ relation }}.listing_num, {{ relation }}.fetched_at_utc
        ) as delivered_copies,
        max({{ relation }}.loaded_at) over (
            partition by {{ relation }}.listing_num, {{ relation }}.fetched_at_utc
        ) as batch_loaded_at,
        min({{ relation }}.first_loaded_at) over (
            partition by {{ relation }}.listing_num, {{ relation }}.fetched_at_utc
        ) as key_first_loaded_at
    from {{ relation }}

),
{%- endmacro %}
