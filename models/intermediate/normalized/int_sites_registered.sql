{#- Every registered site with its channel (SPEC §3.4, §4): the project's seed sites.csv,
    extended and overridden by RAW/sites.csv (bronze sites; the latest landed version of each
    site wins: greatest file_mtime, then file_path, then line). -#}
{{ config(tags=['sites_feed']) }}

with

seed_sites as (
    select
        lower(trim(site)) as site,
        channel,
        name
    from {{ ref('sites') }}
),

raw_sites as (
    select * from {{ ref('stg_sites__sites') }}
),

raw_sites_ranked as (
    select
        site,
        channel,
        name,
        file_mtime,
        row_number() over (
            partition by site
            order by file_mtime desc, file_path desc, line_no desc
        ) as version_rank
    from raw_sites
),

latest_raw_sites as (
    select site, channel, name, file_mtime
    from raw_sites_ranked
    where version_rank = 1
),

final as (
    select
        coalesce(latest_raw_sites.site, seed_sites.site) as site,
        coalesce(latest_raw_sites.channel, seed_sites.channel) as channel,
        coalesce(latest_raw_sites.name, seed_sites.name) as name,
        case when latest_raw_sites.site is not null then 'raw_sites' else 'seed' end as registered_in,
        seed_sites.site is not null as is_in_seed,
        latest_raw_sites.file_mtime as raw_sites_file_mtime
    from seed_sites
    full outer join latest_raw_sites
        on seed_sites.site = latest_raw_sites.site
)

select * from final
