{#
    Monthly snapshots of each practice's registered list. Every month's file is kept, because
    cohorts (care home, frailty, learning disability) are evaluated as at each month. The
    loader has already typed dates and numbers (ingestion/contracts.py), so staging only
    renames, normalises codes and turns flags into booleans.
#}
{{ config(
    incremental_strategy='append',
    pre_hook="{{ delete_months_to_rebuild('snapshot_month') }}",
) }}
with

source as (

    select * from {{ source('clinical', 'patients') }}
    where {{ months_to_rebuild('_month') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('practice_code') }} as practice_code,
        {{ clean_text('patient_id') }} as patient_id,

        -- dates
        _month as snapshot_month,
        date_of_birth as birth_date,
        registration_date,
        deregistration_date,
        date_of_death as death_date,

        -- categories
        {{ normalise_sex('sex') }} as sex,
        {{ normalise_category('efi_version') }} as electronic_frailty_index_version,

        -- measures
        efi_score as electronic_frailty_index_score,

        -- flags
        {{ normalise_flag('is_care_home_resident') }} as is_care_home_resident,
        {{ normalise_flag('has_learning_disability') }} as has_learning_disability,
        {{ normalise_flag('is_end_of_life') }} as is_end_of_life,

        -- lineage
        {{ source_lineage_columns() }}

    from source

)

select * from renamed
