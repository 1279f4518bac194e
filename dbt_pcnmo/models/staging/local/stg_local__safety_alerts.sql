{#- Each month's file is the whole alert log to date: keep each PCN's newest log only. -#}
{%- set natural_key = ['pcn_code', 'alert_reference', 'practice_code'] %}

with

source as (

    select * from {{ source('local', 'safety_alerts') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('pcn_code') }} as pcn_code,
        {{ clean_code('practice_code') }} as practice_code,
        {{ clean_text('alert_reference') }} as alert_reference,

        -- dates
        received_date,
        deadline_date,
        closed_date,
        _month as snapshot_month,

        -- strings
        {{ clean_text('alert_title') }} as alert_title,
        {{ clean_text('action_taken') }} as action_taken,

        -- categories
        {{ normalise_category('alert_type') }} as alert_type,
        {{ normalise_category('triage_outcome') }} as triage_outcome,

        -- measures
        patients_affected,

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
        {{ surrogate_key(natural_key) }} as safety_alert_id,
        pcn_code,
        practice_code,
        alert_reference,

        -- dates
        received_date,
        deadline_date,
        closed_date,
        snapshot_month,

        -- strings
        alert_title,
        action_taken,

        -- categories
        alert_type,
        triage_outcome,

        -- measures
        patients_affected,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where snapshot_rank = 1

)

select * from latest_snapshot
