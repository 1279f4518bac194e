{#
    A later month's file may deliver an event again (a search re-run over a longer window, a
    back-dated entry). An event is identified by practice, patient, SNOMED concept and date;
    for each such key only the newest delivery is kept, so a corrected value replaces the
    old one. Repeats within one file (two results of one test on one day) are real and stay
    apart through their occurrence number.
#}
{%- set natural_key = ['practice_code', 'patient_id', 'snomed_code', 'event_date'] %}
{{ config(
    incremental_strategy='delete+insert',
    unique_key=natural_key,
    pre_hook="{{ set_aside_keys_to_rebuild(" ~ natural_key ~ ") }}",
    post_hook="{{ drop_keys_to_rebuild() }}",
) }}

with

source as (

    select * from {{ source('clinical', 'events') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('practice_code') }} as practice_code,
        {{ clean_text('patient_id') }} as patient_id,
        {{ clean_text('snomed_code') }} as snomed_code,

        -- dates
        event_date,
        _month as delivery_month,

        -- strings
        {{ clean_text('term') }} as term,
        {{ clean_text('recorded_by_role') }} as recorded_by_role,

        -- measures
        value as result_value,
        {{ clean_text('value_comparator') }} as result_comparator,
        {{ clean_text('value_unit') }} as result_unit,

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
        {{ surrogate_key(natural_key + ['occurrence']) }} as event_id,
        practice_code,
        patient_id,
        snomed_code,

        -- dates
        event_date,
        delivery_month,

        -- strings
        term,
        recorded_by_role,

        -- measures
        result_value,
        result_comparator,
        result_unit,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where delivery_rank = 1

)

select * from latest_delivery
