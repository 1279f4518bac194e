{#- Each month's file is the whole SEA register to date: keep each PCN's newest register only. -#}
{%- set natural_key = ['pcn_code', 'significant_event_reference'] %}

with

source as (

    select * from {{ source('local', 'significant_events') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('pcn_code') }} as pcn_code,
        {{ clean_code('practice_code') }} as practice_code,
        {{ clean_text('sea_reference') }} as significant_event_reference,

        -- dates
        event_date,
        raised_date,
        completed_date,
        _month as snapshot_month,

        -- strings
        {{ clean_text('summary') }} as event_summary,

        -- categories
        {{ normalise_category('theme') }} as theme,

        -- flags
        {{ normalise_flag('learning_shared') }} as is_learning_shared,

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
        {{ surrogate_key(natural_key) }} as significant_event_id,
        pcn_code,
        practice_code,
        significant_event_reference,

        -- dates
        event_date,
        raised_date,
        completed_date,
        snapshot_month,

        -- strings
        event_summary,

        -- categories
        theme,

        -- flags
        is_learning_shared,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where snapshot_rank = 1

)

select * from latest_snapshot
