{#- SPEC §4: a price in a currency or month without a rate in the seed exchange_rates_monthly gets
    no CNY price (never a guess). Warn and list the missing currency-months, over the observations
    this run loaded or re-chose (a full build: all of them). It reads the de-duplicated table, not
    the enriched view: over the view, a full build at 100M rows spent 26 s re-reading every bronze
    row with its dictionary joins, and de-duplication waited for it. -#}
{{ config(severity='warn') }}

select
    price_currency,
    month_start,
    count(*) as priced_observations
from {{ ref('int_observations_deduplicated') }}
where loaded_at = {{ load_batch_at() }}
  and unit_price is not null
  and unit_price_cny is null
group by price_currency, month_start
