{#
    A later month's file may deliver an issue again, with its repeat template now ended. An
    issue is identified by practice, patient, dm+d concept and issue date; for each such key
    only the newest delivery is kept, so the template's latest state wins. Repeats within one
    file stay apart through their occurrence number.
#}
{%- set natural_key = ['practice_code', 'patient_id', 'dmd_code', 'issue_date'] %}
{{ config(
    incremental_strategy='delete+insert',
    unique_key=natural_key,
    pre_hook="{{ set_aside_keys_to_rebuild(" ~ natural_key ~ ") }}",
    post_hook="{{ drop_keys_to_rebuild() }}",
) }}

with

source as (

    select * from {{ source('clinical', 'medication_issues') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('practice_code') }} as practice_code,
        {{ clean_text('patient_id') }} as patient_id,
        {{ clean_text('dmd_code') }} as dmd_code,
        {{ clean_code('bnf_code') }} as bnf_code,

        -- dates
        issue_date,
        template_start_date,
        template_end_date,
        _month as delivery_month,

        -- strings
        {{ clean_text('drug_name') }} as drug_name,
        {{ clean_text('stop_reason') }} as stop_reason,

        -- categories
        {{ normalise_issue_type('issue_type') }} as issue_type,

        -- measures
        quantity,

        -- lineage
        {{ source_lineage_columns() }}

    from source

),

{#- On an incremental run only the keys the months rebuilt can change: the rest stays. #}
ranked as (

    {{ deliveries_ranked_by_natural_key('renamed', natural_key) }}

),

latest_delivery as (

    select
        -- ids
        {{ surrogate_key(natural_key + ['occurrence']) }} as medication_issue_id,
        practice_code,
        patient_id,
        dmd_code,
        bnf_code,

        -- dates
        issue_date,
        template_start_date,
        template_end_date,
        delivery_month,

        -- strings
        drug_name,
        stop_reason,

        -- categories
        issue_type,

        -- measures
        quantity,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where delivery_rank = 1

)

select * from latest_delivery
