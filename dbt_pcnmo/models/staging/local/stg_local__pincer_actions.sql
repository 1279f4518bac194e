{#- Each month's file is the whole PINCER action log to date: keep each PCN's newest log only. -#}
{%- set natural_key = ['pcn_code', 'patient_id', 'pincer_indicator', 'identified_date'] %}

with

source as (

    select * from {{ source('local', 'pincer_actions') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('pcn_code') }} as pcn_code,
        {{ clean_code('practice_code') }} as practice_code,
        {{ clean_text('patient_id') }} as patient_id,

        -- dates
        identified_date,
        action_date as actioned_date,
        _month as snapshot_month,

        -- categories
        {{ clean_code('indicator') }} as pincer_indicator,
        {{ normalise_category('action') }} as action_taken,

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
        {{ surrogate_key(natural_key) }} as pincer_action_id,
        pcn_code,
        practice_code,
        patient_id,

        -- dates
        identified_date,
        actioned_date,
        snapshot_month,

        -- categories
        pincer_indicator,
        action_taken,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where snapshot_rank = 1

)

select * from latest_snapshot
