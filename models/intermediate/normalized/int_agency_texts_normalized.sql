{#- One row per distinct case agency text: the agency code (SPEC §4; local branches map to their
    department; unmatched → OTHER; empty → UNKNOWN; macros/normalize/ranked_terms.sql). -#}
{{ config(tags=['enforcement_feeds']) }}

with

texts as (
    select agency_text from {{ ref('stg_cases__cases') }}
),

final as (
    {{ waybill_watch.normalize_agency_texts('texts', 'agency_text', ref('agency_aliases')) }}
)

select * from final
