{#- Each month's file is the whole supervision log to date: keep each PCN's newest log only. -#}
{%- set natural_key = ['pcn_code', 'staff_id', 'supervision_date', 'supervision_type'] %}

with

source as (

    select * from {{ source('local', 'supervision_log') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('pcn_code') }} as pcn_code,
        {{ clean_code('staff_id') }} as staff_id,
        {{ clean_code('supervisor_staff_id') }} as supervisor_staff_id,

        -- dates
        supervision_date,
        _month as snapshot_month,

        -- categories
        {{ normalise_category('supervision_type') }} as supervision_type,

        -- measures
        records_sampled,

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
        {{ surrogate_key(natural_key) }} as supervision_session_id,
        pcn_code,
        staff_id,
        supervisor_staff_id,

        -- dates
        supervision_date,
        snapshot_month,

        -- categories
        supervision_type,

        -- measures
        records_sampled,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where snapshot_rank = 1

)

select * from latest_snapshot
