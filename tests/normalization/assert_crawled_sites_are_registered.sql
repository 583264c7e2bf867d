{#- SPEC §4: a crawled site found neither in seeds/sites.csv nor in RAW/sites.csv has channel
    'unknown'. Warn (never fail) and list them, so the monitoring team can register them; over the
    observations this run loaded or re-chose (a full build: all of them), from the de-duplicated
    table for the reason given in assert_prices_have_exchange_rate. -#}
{{ config(severity='warn') }}

select
    site,
    count(*) as observations,
    min(fetched_date_local) as first_fetched_date,
    max(fetched_date_local) as last_fetched_date
from {{ ref('int_observations_deduplicated') }}
where loaded_at = {{ load_batch_at() }}
  and channel = 'unknown'
group by site
