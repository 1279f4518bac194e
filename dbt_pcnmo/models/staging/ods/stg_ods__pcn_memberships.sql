{#
    Each ODS release lists every practice-to-PCN relationship to date, with start and end
    dates: only the newest delivered release is kept; membership at a date comes from those
    dates, not from older releases.
#}
{%- set natural_key = ['practice_code', 'pcn_code', 'membership_start_date'] %}

with

source as (

    select * from {{ source('ods', 'epcn_members') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('practice_code') }} as practice_code,
        {{ clean_code('pcn_code') }} as pcn_code,
        {{ clean_code('practice_sub_icb_location_code') }} as practice_sub_icb_location_code,

        -- dates
        relationship_start_date as membership_start_date,
        relationship_end_date as membership_end_date,
        _month as snapshot_month,

        -- strings
        {{ clean_text('practice_name') }} as practice_name,
        {{ clean_text('pcn_name') }} as pcn_name,
        {{ clean_text('practice_sub_icb_location_name') }} as practice_sub_icb_location_name,

        -- lineage
        {{ source_lineage_columns() }}

    from source

),

ranked as (

    select
        *,
        {{ latest_delivery_rank(month_column='snapshot_month') }} as snapshot_rank
    from renamed

),

latest_snapshot as (

    select
        -- ids
        {{ surrogate_key(natural_key) }} as pcn_membership_id,
        practice_code,
        pcn_code,
        practice_sub_icb_location_code,

        -- dates
        membership_start_date,
        membership_end_date,
        snapshot_month,

        -- strings
        practice_name,
        pcn_name,
        practice_sub_icb_location_name,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where snapshot_rank = 1

)

select * from latest_snapshot
