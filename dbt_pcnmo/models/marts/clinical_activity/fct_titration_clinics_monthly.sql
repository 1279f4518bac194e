{#
    Long-term-condition titration clinics per practice, month and condition: sessions,
    appointments booked, patients seen, patients with a dose titrated and did-not-attend, beside
    the practice's share of the PCN's target for the month (CA06 to CA09).

    * Coverage: each PCN's clinic log is the whole log to date (stg_local__titration_clinics
      keeps the newest), so it covers every month from its first clinic to the month it was
      delivered. A practice month has rows only when the PCN the practice belonged to that
      month (int_practices_joined_to_pcns_by_month) has a log covering the month: no log, no
      row, so the KPI mart shows 'no data'. A covered month gets a row for every condition of
      seed titration_clinic_assumptions, with 0 where the log has no clinic for it.
    * Attribution: the contract requires a practice code on every clinic row, so each clinic
      counts for the practice it ran for, in the PCN that practice belonged to that month,
      whichever PCN's log lists it. There are no PCN-wide rows: a hub clinic for several
      practices is logged once per practice.
    * Counts are attendances: a patient seen at two sessions counts twice (the log has no
      patient identifier). did_not_attend_patients is booked minus seen per session, never
      below 0 (a session that saw extra patients on the day has no non-attenders).
    * target_patients_seen is null for a practice month without a cohort snapshot (the
      target is phased by the practice's share of the registered list, which comes from the
      clinical extract); the KPI leaves such months out of numerator and denominator alike.
#}
with

conditions as (

    select
        kpi_id,
        long_term_condition
    from {{ ref('titration_clinic_assumptions') }}

),

clinics as (

    select
        pcn_code,
        practice_code,
        cast({{ dbt.date_trunc('month', 'clinic_date') }} as date) as month_start_date,
        long_term_condition,
        booked_patient_count,
        seen_patient_count,
        dose_changed_patient_count,
        snapshot_month
    from {{ ref('stg_local__titration_clinics') }}

),

log_coverage as (

    select
        pcn_code,
        min(month_start_date) as first_covered_month,
        max(snapshot_month) as last_covered_month
    from clinics
    group by pcn_code

),

covered_practice_months as (

    select
        memberships.practice_code,
        memberships.pcn_code,
        memberships.month_start_date
    from {{ ref('int_practices_joined_to_pcns_by_month') }} as memberships
    inner join log_coverage
        on
            memberships.pcn_code = log_coverage.pcn_code
            and memberships.month_start_date between log_coverage.first_covered_month
            and log_coverage.last_covered_month

),

clinic_months as (

    select
        practice_code,
        month_start_date,
        long_term_condition,
        count(*) as clinic_sessions,
        sum(booked_patient_count) as booked_patients,
        sum(seen_patient_count) as seen_patients,
        sum(dose_changed_patient_count) as dose_changed_patients,
        sum(
            case
                when booked_patient_count > seen_patient_count
                    then booked_patient_count - seen_patient_count
                else 0
            end
        ) as did_not_attend_patients
    from clinics
    group by practice_code, month_start_date, long_term_condition

),

targets as (

    select
        practice_code,
        month_start_date,
        target_kpi_id,
        practice_monthly_target,
        target_basis
    from {{ ref('int_smr_targets_phased_to_practice_months') }}

),

periods as (

    select
        period_id,
        period_start
    from {{ ref('dim_periods') }}
    where period_type = 'month'

),

final as (

    select
        covered_practice_months.practice_code,
        covered_practice_months.pcn_code,
        covered_practice_months.month_start_date,
        periods.period_id,
        conditions.long_term_condition,
        conditions.kpi_id,
        cast(coalesce(clinic_months.clinic_sessions, 0) as bigint) as clinic_sessions,
        cast(coalesce(clinic_months.booked_patients, 0) as bigint) as booked_patients,
        cast(coalesce(clinic_months.seen_patients, 0) as bigint) as seen_patients,
        cast(coalesce(clinic_months.dose_changed_patients, 0) as bigint) as dose_changed_patients,
        cast(coalesce(clinic_months.did_not_attend_patients, 0) as bigint) as did_not_attend_patients,
        cast(
            case
                when clinic_months.booked_patients > 0
                    then 100.0 * clinic_months.did_not_attend_patients / clinic_months.booked_patients
            end as double
        ) as did_not_attend_percent,
        cast(
            case
                when clinic_months.seen_patients > 0
                    then 100.0 * clinic_months.dose_changed_patients / clinic_months.seen_patients
            end as double
        ) as dose_changed_percent,
        cast(targets.practice_monthly_target as double) as target_patients_seen,
        targets.target_basis
    from covered_practice_months
    cross join conditions
    inner join periods
        on covered_practice_months.month_start_date = periods.period_start
    left join clinic_months
        on
            covered_practice_months.practice_code = clinic_months.practice_code
            and covered_practice_months.month_start_date = clinic_months.month_start_date
            and conditions.long_term_condition = clinic_months.long_term_condition
    left join targets
        on
            covered_practice_months.practice_code = targets.practice_code
            and covered_practice_months.month_start_date = targets.month_start_date
            and conditions.kpi_id = targets.target_kpi_id

)

select * from final
