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

{% if is_incremental() %}
{#- Only the keys the months rebuilt can change: the rest of the model stays as it is. #}
keys_to_rebuild as (

    {{ keys_to_rebuild('renamed', natural_key) }}

),

{% endif %}
delivered as (

    select renamed.*
    from renamed
    {%- if is_incremental() %}
    inner join keys_to_rebuild
        on
            {%- for column in natural_key %}
            {{ 'and ' if not loop.first }}renamed.{{ column }} = keys_to_rebuild.{{ column }}
            {%- endfor %}
    {%- endif %}

),

ranked as (

    select
        *,
        {{ latest_delivery_rank(natural_key) }} as delivery_rank,
        {{ occurrence_in_delivery(natural_key) }} as occurrence
    from delivered

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
