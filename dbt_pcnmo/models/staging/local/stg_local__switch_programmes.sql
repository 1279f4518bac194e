{#-
    Each month's file is the status of every programme x practice as at that month (its
    as_at_date): progress against schedule over time needs every month, so each month's newest
    delivery is kept (a month delivered twice keeps the later file), not only the newest log.
-#}
{%- set natural_key = ['pcn_code', 'programme_code', 'practice_code', 'snapshot_month'] %}

with

source as (

    select * from {{ source('local', 'switch_programmes') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('pcn_code') }} as pcn_code,
        {{ clean_text('programme_id') }} as programme_code,
        {{ clean_code('practice_code') }} as practice_code,

        -- dates
        start_date,
        planned_end_date,
        as_at_date,
        _month as snapshot_month,

        -- strings
        {{ clean_text('programme_name') }} as programme_name,

        -- measures
        patients_planned as planned_patient_count,
        patients_switched as switched_patient_count,

        -- lineage
        {{ source_lineage_columns() }}

    from source

),

ranked as (

    select
        *,
        {{ latest_delivery_rank(['pcn_code', 'snapshot_month'], 'snapshot_month') }} as snapshot_rank
    from renamed

),

latest_snapshot as (

    select
        -- ids
        {{ surrogate_key(natural_key) }} as switch_programme_id,
        pcn_code,
        programme_code,
        practice_code,

        -- dates
        start_date,
        planned_end_date,
        as_at_date,
        snapshot_month,

        -- strings
        programme_name,

        -- measures
        planned_patient_count,
        switched_patient_count,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where snapshot_rank = 1

)

select * from latest_snapshot
