{#
    The monthly SNOMED-coded activity extract (DES evidence item 3) before suppression: how
    often each concept of the medicines-optimisation activities was coded, per practice and
    month. Activities and the codelists behind them (seed snomed_codelists):
    * structured_medication_review: structured_medication_review;
    * high_risk_drug_monitoring_review: high_risk_drug_monitoring_review plus the
      drug-specific reviews in high_risk_drug_specific_review (annual review of lithium
      therapy, anticoagulant medication review);
    * medicines_reconciliation: medicines_reconciliation;
    * deprescribing: deprescribing.
    Counts are of coded entries at the practice that recorded them (this is the practice's
    own coded activity, not the SMR attribution of fct_smrs), in the month of the entry's
    date. A concept coded twice for a patient on one day counts once (event_count counts
    patient-days); patient_count counts distinct patients. The PCN is the practice's PCN that
    month (null if it had none). Concepts not coded in a month have no row (a zero, not
    suppressed). Small-number suppression is applied by the report that writes the file.
#}
{%- set activity_codelists = {
    'structured_medication_review': ['structured_medication_review'],
    'high_risk_drug_monitoring_review': [
        'high_risk_drug_monitoring_review', 'high_risk_drug_specific_review',
    ],
    'medicines_reconciliation': ['medicines_reconciliation'],
    'deprescribing': ['deprescribing'],
} %}

with

activity_codes as (

    {% for activity, codelist_ids in activity_codelists.items() %}
    select distinct
        '{{ activity }}' as activity,
        snomed_code,
        first_value(term) over (partition by snomed_code order by codelist_id) as snomed_term
    from {{ ref('snomed_codelists') }}
    where codelist_id in ('{{ codelist_ids | join("', '") }}')
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

events as (

    select
        events.practice_code,
        cast({{ dbt.date_trunc('month', 'events.event_date') }} as date) as month_start_date,
        activity_codes.activity,
        activity_codes.snomed_code,
        activity_codes.snomed_term,
        events.patient_id,
        events.event_date
    from {{ ref('stg_clinical__events') }} as events
    inner join activity_codes
        on events.snomed_code = activity_codes.snomed_code

),

counted as (

    select
        practice_code,
        month_start_date,
        activity,
        snomed_code,
        snomed_term,
        count(distinct {{ dbt.concat(['patient_id', "'|'", 'cast(event_date as ' ~ dbt.type_string() ~ ')']) }})
            as event_count,
        count(distinct patient_id) as patient_count
    from events
    group by practice_code, month_start_date, activity, snomed_code, snomed_term

),

final as (

    select
        cast(counted.practice_code as {{ dbt.type_string() }}) as practice_code,
        cast(practice_pcns.pcn_code as {{ dbt.type_string() }}) as pcn_code,
        cast(counted.month_start_date as date) as month_start_date,
        cast(counted.activity as {{ dbt.type_string() }}) as activity,
        cast(counted.snomed_code as {{ dbt.type_string() }}) as snomed_code,
        cast(counted.snomed_term as {{ dbt.type_string() }}) as snomed_term,
        cast(counted.event_count as bigint) as event_count,
        cast(counted.patient_count as bigint) as patient_count
    from counted
    left join {{ ref('int_practices_joined_to_pcns_by_month') }} as practice_pcns
        on
            counted.practice_code = practice_pcns.practice_code
            and counted.month_start_date = practice_pcns.month_start_date

)

select * from final
