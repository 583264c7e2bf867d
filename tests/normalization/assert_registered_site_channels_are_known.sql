{#- RAW/sites.csv must name one of SPEC §4's channel codes; an unlisted one is kept as 'unknown'.
    Warn and list them. -#}
{{ config(severity='warn') }}

select site, channel_text, file_path
from {{ ref('stg_sites__sites') }}
where channel = 'unknown'
