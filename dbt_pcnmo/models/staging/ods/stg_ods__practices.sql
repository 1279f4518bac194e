{#
    epraccur lists every prescribing cost centre (GP practices and other settings), whole
    register per release: only the newest delivered release is kept. Prescribing setting 4
    marks a GP practice, the filter OpenPrescribing applies before comparing practices.
    Column 4 is the ICB the practice's postcode lies in (ODS, June 2025; earlier releases
    derived it from the commissioner, and before 2019 it held the area team): kept as
    geographic_icb_code, never taken as the practice's commissioning ICB. Column 15 is the
    commissioner, the practice's sub-ICB location.
#}
with

source as (

    select * from {{ source('ods', 'epraccur') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('organisation_code') }} as practice_code,
        {{ clean_code('national_grouping') }} as region_code,
        {{ clean_code('high_level_health_geography') }} as geographic_icb_code,
        {{ clean_code('commissioner_code') }} as sub_icb_location_code,

        -- dates
        open_date,
        close_date,
        _month as snapshot_month,

        -- strings
        {{ clean_text('name') }} as practice_name,
        {{ clean_text('postcode') }} as postcode,

        -- categories
        {{ clean_code('status_code') }} as status_code,
        prescribing_setting,

        -- flags
        coalesce(prescribing_setting = 4, false) as is_gp_practice,

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
        practice_code,
        region_code,
        geographic_icb_code,
        sub_icb_location_code,

        -- dates
        open_date,
        close_date,
        snapshot_month,

        -- strings
        practice_name,
        postcode,

        -- categories
        status_code,
        prescribing_setting,

        -- flags
        is_gp_practice,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where snapshot_rank = 1

)

select * from latest_snapshot
