{#
    The monthly PINCER search result per practice and indicator: patients in the
    indicator's denominator and with the hazard at the month end (as OpenSAFELY defines the
    14 measures, int_pincer_hazards_flagged_to_patient_months), and how many of those hazard
    patients the pharmacy team had already worked, per the PINCER action log
    (int_pincer_hazards_linked_to_actions: a completed action for the hazard's episode, on
    or before the month end).
    Every practice month with a patient snapshot gets all 14 indicators, with zeros where
    no one qualifies. pcn_code is the practice's PCN that month, null when ODS shows none.
#}
{%- set indicators = {
    'A': 'a', 'B': 'b', 'C': 'c', 'D': 'd', 'E': 'e', 'F': 'f', 'G': 'g', 'I': 'i',
    'K': 'k', 'AC': 'ac', 'ME_FBC': 'me', 'ME_LFT': 'me', 'LI': 'li', 'AM': 'am',
} %}

with

practice_months as (

    select distinct
        practice_code,
        snapshot_month as month_start_date
    from {{ ref('stg_clinical__patients') }}

),

indicators as (

    {% for indicator in indicators %}
    select '{{ indicator }}' as indicator
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

memberships as (

    select
        practice_code,
        month_start_date,
        pcn_code
    from {{ ref('int_practices_joined_to_pcns_by_month') }}

),

flagged as (

    select * from {{ ref('int_pincer_hazards_flagged_to_patient_months') }}

),

denominators as (

    {% for indicator, letter in indicators.items() %}
    select
        practice_code,
        month_start_date,
        '{{ indicator }}' as indicator,
        count(*) as denominator_patients
    from flagged
    where is_in_{{ letter }}_denominator
    group by practice_code, month_start_date
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

hazards as (

    select
        practice_code,
        month_start_date,
        pincer_indicator as indicator,
        count(*) as hazard_patients,
        sum(case when is_actioned_by_month_end then 1 else 0 end) as actioned_patients
    from {{ ref('int_pincer_hazards_linked_to_actions') }}
    group by practice_code, month_start_date, pincer_indicator

),

final as (

    select
        practice_months.practice_code,
        memberships.pcn_code,
        practice_months.month_start_date,
        indicators.indicator,
        cast(coalesce(denominators.denominator_patients, 0) as bigint) as denominator_patients,
        cast(coalesce(hazards.hazard_patients, 0) as bigint) as hazard_patients,
        cast(coalesce(hazards.actioned_patients, 0) as bigint) as actioned_patients
    from practice_months
    cross join indicators
    left join memberships
        on
            practice_months.practice_code = memberships.practice_code
            and practice_months.month_start_date = memberships.month_start_date
    left join denominators
        on
            practice_months.practice_code = denominators.practice_code
            and practice_months.month_start_date = denominators.month_start_date
            and indicators.indicator = denominators.indicator
    left join hazards
        on
            practice_months.practice_code = hazards.practice_code
            and practice_months.month_start_date = hazards.month_start_date
            and indicators.indicator = hazards.indicator

)

select * from final
