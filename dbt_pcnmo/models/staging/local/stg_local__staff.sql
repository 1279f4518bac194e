{#- Each month's file is the whole workforce record to date: keep each PCN's newest record only. -#}
with

source as (

    select * from {{ source('local', 'workforce') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('pcn_code') }} as pcn_code,
        {{ clean_code('staff_id') }} as staff_id,
        {{ clean_code('base_practice_code') }} as base_practice_code,
        {{ clean_code('supervisor_staff_id') }} as supervisor_staff_id,

        -- dates
        start_date,
        end_date,
        scope_of_practice_signed_date,
        scope_of_practice_review_date,
        _month as snapshot_month,

        -- categories
        {{ normalise_category('role') }} as staff_role,
        {{ normalise_category('registration_body') }} as registration_body,
        {{ normalise_category('cppe_pathway_status') }} as cppe_pathway_status,

        -- measures
        wte as whole_time_equivalent,
        supervision_interval_days,

        -- flags
        {{ normalise_flag('is_arrs_funded') }} as is_arrs_funded,
        {{ normalise_flag('is_prescriber') }} as is_prescriber,

        -- lineage
        {{ source_lineage_columns() }}

    from source

),

ranked as (

    select
        *,
        {{ latest_delivery_rank(['pcn_code'], 'snapshot_month') }} as snapshot_rank
    from renamed

),

latest_snapshot as (

    select
        -- ids
        pcn_code,
        staff_id,
        base_practice_code,
        supervisor_staff_id,

        -- dates
        start_date,
        end_date,
        scope_of_practice_signed_date,
        scope_of_practice_review_date,
        snapshot_month,

        -- categories
        staff_role,
        registration_body,
        cppe_pathway_status,

        -- measures
        whole_time_equivalent,
        supervision_interval_days,

        -- flags
        is_arrs_funded,
        is_prescriber,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where snapshot_rank = 1

)

select * from latest_snapshot
