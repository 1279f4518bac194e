{#- Each month's file is the whole clinic log to date: keep each PCN's newest log only. -#}
{%- set natural_key = [
    'pcn_code', 'clinic_date', 'practice_code', 'long_term_condition', 'staff_id',
] %}

with

source as (

    select * from {{ source('local', 'titration_clinics') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('pcn_code') }} as pcn_code,
        {{ clean_code('practice_code') }} as practice_code,
        {{ clean_code('staff_id') }} as staff_id,

        -- dates
        clinic_date,
        _month as snapshot_month,

        -- categories
        {{ normalise_category('condition') }} as long_term_condition,

        -- measures
        patients_booked as booked_patient_count,
        patients_seen as seen_patient_count,
        dose_changes as dose_changed_patient_count,

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
        {{ surrogate_key(natural_key) }} as titration_clinic_id,
        pcn_code,
        practice_code,
        staff_id,

        -- dates
        clinic_date,
        snapshot_month,

        -- categories
        long_term_condition,

        -- measures
        booked_patient_count,
        seen_patient_count,
        dose_changed_patient_count,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where snapshot_rank = 1

)

select * from latest_snapshot
