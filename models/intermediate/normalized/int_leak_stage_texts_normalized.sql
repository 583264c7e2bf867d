{#- One row per distinct incident leak-stage text: the leak stage (SPEC §4; the term seed
    leak_stage_terms; unmatched or empty → unknown; macros/normalize/ranked_terms.sql). -#}
{{ config(tags=['enforcement_feeds']) }}

with

texts as (
    select leak_stage_text from {{ ref('stg_incidents__incidents') }}
),

final as (
    {{ waybill_watch.normalize_leak_stage_texts('texts', 'leak_stage_text', ref('leak_stage_terms')) }}
)

select * from final
