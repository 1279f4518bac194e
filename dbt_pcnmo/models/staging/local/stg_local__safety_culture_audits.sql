{#- Each month's file is the whole audit log to date: keep each PCN's newest log only. -#}
{%- set natural_key = ['pcn_code', 'practice_code', 'audit_date', 'audit_tool'] %}

with

source as (

    select * from {{ source('local', 'safety_culture_audits') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('pcn_code') }} as pcn_code,
        {{ clean_code('practice_code') }} as practice_code,

        -- dates
        audit_date,
        _month as snapshot_month,

        -- categories
        {{ normalise_category('tool') }} as audit_tool,

        -- measures
        respondents as respondent_count,
        score,
        max_score as maximum_score,

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
        {{ surrogate_key(natural_key) }} as safety_culture_audit_id,
        pcn_code,
        practice_code,

        -- dates
        audit_date,
        snapshot_month,

        -- categories
        audit_tool,

        -- measures
        respondent_count,
        score,
        maximum_score,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where snapshot_rank = 1

)

select * from latest_snapshot
