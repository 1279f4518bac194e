{#
    Each ODS release is the whole register as at that month: only the newest delivered
    release is kept. (History of practice membership lives in its start and end dates, see
    stg_ods__pcn_memberships.)
#}
with

source as (

    select * from {{ source('ods', 'epcn_pcns') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('pcn_code') }} as pcn_code,
        {{ clean_code('sub_icb_location_code') }} as sub_icb_location_code,

        -- dates
        open_date,
        close_date,
        _month as snapshot_month,

        -- strings
        {{ clean_text('pcn_name') }} as pcn_name,
        {{ clean_text('sub_icb_location_name') }} as sub_icb_location_name,
        {{ clean_text('postcode') }} as postcode,

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
        pcn_code,
        sub_icb_location_code,

        -- dates
        open_date,
        close_date,
        snapshot_month,

        -- strings
        pcn_name,
        sub_icb_location_name,
        postcode,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where snapshot_rank = 1

)

select * from latest_snapshot
