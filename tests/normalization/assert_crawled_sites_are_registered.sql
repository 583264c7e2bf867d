{#- SPEC §4: a crawled site found neither in seeds/sites.csv nor in RAW/sites.csv has channel
    'unknown'. Warn (never fail) and list them, so the monitoring team can register them. -#}
{{ config(severity='warn') }}

select
    site,
    count(*) as observations,
    min(fetched_date_local) as first_fetched_date,
    max(fetched_date_local) as last_fetched_date
from {{ ref('int_observations_enriched') }}
where channel = 'unknown'
group by site
