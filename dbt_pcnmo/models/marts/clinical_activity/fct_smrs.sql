{#
    Structured medication reviews (seed snomed_codelists, structured_medication_review),
    counted once per patient per day however many practices or rows record them, and
    attributed to the practice where the patient was registered on the SMR date: the
    patient's row in the snapshot of the SMR's month with registration_date on or before the
    date and no deregistration on or before it. Where no snapshot row matches (the month's
    extract is missing, or the registration dates disagree with the event) the SMR stays with
    the practice that recorded it, and attribution_basis says so. The PCN is the one the
    practice belonged to that month (int_practices_joined_to_pcns_by_month).
    The cohort flags say whether the patient was in each DES cohort at the time of the review:
    at the end of the month before the SMR's month or at the end of the SMR's month
    (int_patients_assigned_to_smr_cohorts, at whichever practice the patient was registered
    then). Both month ends count so that a review that works keeps its credit: a patient on
    10 repeat medicines who has one stopped at the SMR is out of the polypharmacy cohort by
    the month end, but was in it when reviewed. A table rather than an intermediate view
    because the cohort lookup re-evaluates the cohort view (every medication issue): the KPI
    models downstream read this instead.
#}
{%- set cohort_flags = [
    'is_care_home_resident',
    'has_learning_disability',
    'has_complex_polypharmacy',
    'is_at_risk_of_medication_harm',
    'is_severely_frail',
    'is_on_potentially_addictive_medicines',
] %}
with

smr_codes as (

    select snomed_code
    from {{ ref('snomed_codelists') }}
    where codelist_id = 'structured_medication_review'

),

smr_events as (

    select
        events.patient_id,
        events.event_date as smr_date,
        min(events.practice_code) as recording_practice_code
    from {{ ref('stg_clinical__events') }} as events
    inner join smr_codes
        on events.snomed_code = smr_codes.snomed_code
    where events.event_date is not null
    group by events.patient_id, events.event_date

),

registrations as (

    select
        smr_events.patient_id,
        smr_events.smr_date,
        patients.practice_code,
        row_number() over (
            partition by smr_events.patient_id, smr_events.smr_date
            order by
                case when patients.practice_code = smr_events.recording_practice_code then 0 else 1 end,
                patients.registration_date desc,
                patients.practice_code
        ) as registration_rank
    from smr_events
    inner join {{ ref('stg_clinical__patients') }} as patients
        on
            smr_events.patient_id = patients.patient_id
            and patients.snapshot_month = {{ dbt.date_trunc('month', 'smr_events.smr_date') }}
            and patients.registration_date <= smr_events.smr_date
            and (
                patients.deregistration_date is null
                or patients.deregistration_date > smr_events.smr_date
            )

),

attributed as (

    select
        smr_events.patient_id,
        smr_events.smr_date,
        cast({{ dbt.date_trunc('month', 'smr_events.smr_date') }} as date) as month_start_date,
        coalesce(registrations.practice_code, smr_events.recording_practice_code) as practice_code,
        smr_events.recording_practice_code,
        case
            when registrations.practice_code is not null then 'registration'
            else 'recording_practice'
        end as attribution_basis
    from smr_events
    left join registrations
        on
            smr_events.patient_id = registrations.patient_id
            and smr_events.smr_date = registrations.smr_date
            and registrations.registration_rank = 1

),

{#- The patient's cohorts at the two month ends around the review, at any practice. -#}
review_cohorts as (

    select
        attributed.patient_id,
        attributed.smr_date,
        {% for flag in cohort_flags %}
        max(case when cohorts.{{ flag }} then 1 else 0 end) = 1 as {{ flag }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from attributed
    inner join {{ ref('int_patients_assigned_to_smr_cohorts') }} as cohorts
        on
            attributed.patient_id = cohorts.patient_id
            and cohorts.month_start_date in (
                attributed.month_start_date,
                cast({{ dbt.dateadd('month', -1, 'attributed.month_start_date') }} as date)
            )
    group by attributed.patient_id, attributed.smr_date

),

final as (

    select
        cast({{ surrogate_key(['attributed.patient_id', 'attributed.smr_date']) }} as {{ dbt.type_string() }})
            as smr_id,
        attributed.patient_id,
        attributed.smr_date,
        attributed.month_start_date as reporting_month,
        attributed.practice_code,
        practice_pcns.pcn_code,
        attributed.recording_practice_code,
        attributed.attribution_basis,
        {% for flag in cohort_flags %}
        coalesce(review_cohorts.{{ flag }}, false) as {{ flag }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from attributed
    left join {{ ref('int_practices_joined_to_pcns_by_month') }} as practice_pcns
        on
            attributed.practice_code = practice_pcns.practice_code
            and attributed.month_start_date = practice_pcns.month_start_date
    left join review_cohorts
        on
            attributed.patient_id = review_cohorts.patient_id
            and attributed.smr_date = review_cohorts.smr_date

)

select * from final
