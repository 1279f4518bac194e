{#- Each month's file is the whole incident log to date: keep each PCN's newest log only. -#}
{%- set natural_key = ['pcn_code', 'incident_reference'] %}

with

source as (

    select * from {{ source('local', 'safety_incidents') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('pcn_code') }} as pcn_code,
        {{ clean_code('practice_code') }} as practice_code,
        {{ clean_text('incident_reference') }} as incident_reference,

        -- dates
        incident_date,
        reported_date,
        _month as snapshot_month,

        -- strings
        {{ clean_text('summary') }} as incident_summary,

        -- categories
        {{ normalise_category('category') }} as incident_category,
        {{ normalise_category('harm_level') }} as harm_level,

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
        {{ surrogate_key(natural_key) }} as safety_incident_id,
        pcn_code,
        practice_code,
        incident_reference,

        -- dates
        incident_date,
        reported_date,
        snapshot_month,

        -- strings
        incident_summary,

        -- categories
        incident_category,
        harm_level,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where snapshot_rank = 1

)

select * from latest_snapshot
