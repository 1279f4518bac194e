{#
    Structured medication reviews (seed snomed_codelists, structured_medication_review),
    counted once per patient per day however many practices or rows record them, and
    attributed to the practice where the patient was registered on the SMR date: the
    patient's row in the snapshot of the SMR's month with registration_date on or before the
    date and no deregistration on or before it. Where no snapshot row matches (the month's
    extract is missing, or the registration dates disagree with the event) the SMR stays with
    the practice that recorded it, and attribution_basis says so. The PCN is the one the
    practice belonged to that month (int_practices_joined_to_pcns_by_month), and the cohort
    flags are the patient's at that practice in that month (int_patients_assigned_to_smr_cohorts),
    so "in the cohort in the month of their SMR" reads straight off the row. A table rather
    than an intermediate view because the cohort lookup re-evaluates the cohort view (every
    medication issue): the KPI models downstream read this instead.
#}
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
        coalesce(cohorts.is_care_home_resident, false) as is_care_home_resident,
        coalesce(cohorts.has_learning_disability, false) as has_learning_disability,
        coalesce(cohorts.has_complex_polypharmacy, false) as has_complex_polypharmacy,
        coalesce(cohorts.is_at_risk_of_medication_harm, false) as is_at_risk_of_medication_harm,
        coalesce(cohorts.is_severely_frail, false) as is_severely_frail,
        coalesce(cohorts.is_on_potentially_addictive_medicines, false)
            as is_on_potentially_addictive_medicines
    from attributed
    left join {{ ref('int_practices_joined_to_pcns_by_month') }} as practice_pcns
        on
            attributed.practice_code = practice_pcns.practice_code
            and attributed.month_start_date = practice_pcns.month_start_date
    left join {{ ref('int_patients_assigned_to_smr_cohorts') }} as cohorts
        on
            attributed.practice_code = cohorts.practice_code
            and attributed.patient_id = cohorts.patient_id
            and attributed.month_start_date = cohorts.month_start_date

)

select * from final
