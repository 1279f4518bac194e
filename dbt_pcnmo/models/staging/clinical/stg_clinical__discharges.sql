{#
    A discharge is identified by practice, patient and discharge date (the contract's key, so
    unique within a file). A later month's file may deliver it again, e.g. once the letter has
    been filed; only the newest delivery is kept.
#}
{%- set natural_key = ['practice_code', 'patient_id', 'discharge_date'] %}

with

source as (

    select * from {{ source('clinical', 'discharges') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('practice_code') }} as practice_code,
        {{ clean_text('patient_id') }} as patient_id,
        {{ clean_code('provider_code') }} as provider_code,

        -- dates
        admission_date,
        discharge_date,
        document_received_date,
        _month as delivery_month,

        -- lineage
        {{ source_lineage_columns() }}

    from source

),

ranked as (

    select
        *,
        {{ latest_delivery_rank(natural_key) }} as delivery_rank
    from renamed

),

latest_delivery as (

    select
        -- ids
        {{ surrogate_key(natural_key) }} as discharge_id,
        practice_code,
        patient_id,
        provider_code,

        -- dates
        admission_date,
        discharge_date,
        document_received_date,
        delivery_month,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where delivery_rank = 1

)

select * from latest_delivery
