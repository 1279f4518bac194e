{#
    DES SMR cohort sizes per practice and month, from int_patients_assigned_to_smr_cohorts.
    The cohort totals count distinct patients (a patient in three cohorts counts once), so
    they are not the sum of the cohort columns. pcn_code is the PCN the practice belonged to
    that month; sum the counts over a PCN's practice rows for the PCN.
#}
with

cohorts as (

    select * from {{ ref('int_patients_assigned_to_smr_cohorts') }}

),

practice_pcns as (

    select * from {{ ref('int_practices_joined_to_pcns_by_month') }}

),

counted as (

    select
        practice_code,
        month_start_date,
        month_end_date,
        count(*) as registered_patients,
        sum(case when is_care_home_resident then 1 else 0 end) as care_home_patients,
        sum(case when has_learning_disability then 1 else 0 end) as learning_disability_patients,
        sum(case when has_complex_polypharmacy then 1 else 0 end) as complex_polypharmacy_patients,
        sum(case when is_severely_frail then 1 else 0 end) as severe_frailty_patients,
        sum(case when has_unassessed_efi2_score then 1 else 0 end) as efi2_not_assessed_patients,
        sum(case when is_on_potentially_addictive_medicines then 1 else 0 end)
            as potentially_addictive_medicines_patients,
        sum(case when is_at_risk_of_medication_harm then 1 else 0 end)
            as medication_harm_risk_patients,
        sum(case when is_in_any_cohort then 1 else 0 end) as any_cohort_patients,
        sum(case when is_in_any_cohort and is_end_of_life then 1 else 0 end)
            as end_of_life_excluded_patients,
        sum(case when is_in_any_cohort and has_declined_smr then 1 else 0 end)
            as declined_smr_excluded_patients,
        sum(case when is_in_des_cohort then 1 else 0 end) as des_cohort_patients
    from cohorts
    group by practice_code, month_start_date, month_end_date

),

final as (

    select
        counted.practice_code,
        counted.month_start_date as reporting_month,
        {{ dbt.concat(["'month_'", 'cast(counted.month_end_date as ' ~ dbt.type_string() ~ ')']) }}
            as period_id,
        practice_pcns.pcn_code,
        cast(counted.registered_patients as integer) as registered_patients,
        cast(counted.care_home_patients as integer) as care_home_patients,
        cast(counted.learning_disability_patients as integer) as learning_disability_patients,
        cast(counted.complex_polypharmacy_patients as integer) as complex_polypharmacy_patients,
        cast(counted.severe_frailty_patients as integer) as severe_frailty_patients,
        cast(counted.efi2_not_assessed_patients as integer) as efi2_not_assessed_patients,
        cast(counted.potentially_addictive_medicines_patients as integer)
            as potentially_addictive_medicines_patients,
        cast(counted.medication_harm_risk_patients as integer) as medication_harm_risk_patients,
        cast(counted.any_cohort_patients as integer) as any_cohort_patients,
        cast(counted.end_of_life_excluded_patients as integer) as end_of_life_excluded_patients,
        cast(counted.declined_smr_excluded_patients as integer) as declined_smr_excluded_patients,
        cast(counted.des_cohort_patients as integer) as des_cohort_patients
    from counted
    left join practice_pcns
        on
            counted.practice_code = practice_pcns.practice_code
            and counted.month_start_date = practice_pcns.month_start_date

)

select * from final
