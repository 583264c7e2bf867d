{#- SPEC §4: a price in a currency or month without a rate in the seed exchange_rates_monthly gets
    no CNY price (never a guess). Warn and list the missing currency-months. -#}
{{ config(severity='warn') }}

select
    price_currency,
    {{ waybill_watch.month_start('fetched_date_local') }} as month_start,
    count(*) as priced_observations
from {{ ref('int_observations_enriched') }}
where unit_price is not null
  and unit_price_cny is null
group by 1, 2
