{#
    The high-risk drug (HRD) register and its monitoring, as at each snapshot month end (KPI
    CA03), for patients registered that day (registered on or before it, neither
    deregistered nor dead on or before it).

    * Register: a patient is on it for a drug group of seed hrd_monitoring_rules (counted
      rules only) when the group (seed bnf_drug_groups) was issued on at least
      min_issue_days (2) distinct days in the lookback_months (6) months to the month end,
      both ends included (seed pincer_indicator_rules, hrd_register), and the patient is at
      least the rule's min_age (ACE inhibitors and loop diuretics: 75, as PINCER AC). Two
      issue days rather than PINCER's "issued in both halves of the window" so a new starter
      is monitored from their second issue; one acute issue does not make a register entry.
    * Monitored: every required test of every group the patient is on the register for was
      recorded (a code of the rule's snomed_codelists list, result or not) within the rule's
      test_window_months months to the month end, both ends included. A high-risk drug
      monitoring review code alone is not a test.
    Issues and tests are the patient's whole record in the extracts (joined on patient_id),
    so a patient who moved practice keeps their history.
#}
with

register_rules as (

    select
        cast({{ cohort_rule('hrd_register', 'lookback_months') }} as integer) as lookback_months,
        cast({{ cohort_rule('hrd_register', 'min_issue_days') }} as integer) as min_issue_days
    from {{ ref('pincer_indicator_rules') }}

),

monitoring_rules as (

    select
        drug_group,
        test_codelist_id,
        test_window_months,
        coalesce(min_age, 0) as min_age
    from {{ ref('hrd_monitoring_rules') }}
    where is_counted

),

patient_months as (

    select
        patients.practice_code,
        patients.patient_id,
        patients.snapshot_month as month_start_date,
        {{ month_end_date('patients.snapshot_month') }} as index_date,
        {{ age_in_years('patients.birth_date', month_end_date('patients.snapshot_month')) }} as age,
        cast({{ dbt.dateadd(
            'month', '-1 * register_rules.lookback_months', month_end_date('patients.snapshot_month')
        ) }} as date) as register_window_start,
        register_rules.min_issue_days
    from {{ ref('stg_clinical__patients') }} as patients
    cross join register_rules
    where
        patients.registration_date <= {{ month_end_date('patients.snapshot_month') }}
        and (
            patients.deregistration_date is null
            or patients.deregistration_date > {{ month_end_date('patients.snapshot_month') }}
        )
        and (
            patients.death_date is null
            or patients.death_date > {{ month_end_date('patients.snapshot_month') }}
        )

),

drug_issues as (

    select
        patient_id,
        drug_group,
        issue_date
    from {{ ref('int_medication_issues_classified_to_drug_groups') }}
    where drug_group in (select drug_group from monitoring_rules)

),

registered_groups as (

    select
        patient_months.practice_code,
        patient_months.patient_id,
        patient_months.month_start_date,
        patient_months.index_date,
        patient_months.age,
        drug_issues.drug_group
    from patient_months
    inner join drug_issues
        on
            patient_months.patient_id = drug_issues.patient_id
            and drug_issues.issue_date between patient_months.register_window_start and patient_months.index_date
    group by
        patient_months.practice_code,
        patient_months.patient_id,
        patient_months.month_start_date,
        patient_months.index_date,
        patient_months.age,
        drug_issues.drug_group,
        patient_months.min_issue_days
    having count(distinct drug_issues.issue_date) >= patient_months.min_issue_days

),

requirements as (

    select
        registered_groups.practice_code,
        registered_groups.patient_id,
        registered_groups.month_start_date,
        registered_groups.index_date,
        registered_groups.drug_group,
        monitoring_rules.test_codelist_id,
        cast({{ dbt.dateadd(
            'month', '-1 * monitoring_rules.test_window_months', 'registered_groups.index_date'
        ) }} as date) as test_window_start
    from registered_groups
    inner join monitoring_rules
        on
            registered_groups.drug_group = monitoring_rules.drug_group
            and registered_groups.age >= monitoring_rules.min_age

),

tests as (

    select distinct
        events.patient_id,
        codelists.codelist_id,
        events.event_date
    from {{ ref('stg_clinical__events') }} as events
    inner join {{ ref('snomed_codelists') }} as codelists
        on events.snomed_code = codelists.snomed_code
    where codelists.codelist_id in (select test_codelist_id from monitoring_rules)

),

requirements_met as (

    select
        requirements.practice_code,
        requirements.patient_id,
        requirements.month_start_date,
        requirements.index_date,
        requirements.drug_group,
        requirements.test_codelist_id,
        max(case when tests.patient_id is not null then 1 else 0 end) = 1 as is_met
    from requirements
    left join tests
        on
            requirements.patient_id = tests.patient_id
            and requirements.test_codelist_id = tests.codelist_id
            and tests.event_date between requirements.test_window_start and requirements.index_date
    group by
        requirements.practice_code,
        requirements.patient_id,
        requirements.month_start_date,
        requirements.index_date,
        requirements.drug_group,
        requirements.test_codelist_id

),

final as (

    select
        {{ surrogate_key(['practice_code', 'patient_id', 'month_start_date']) }} as patient_month_id,
        practice_code,
        patient_id,
        month_start_date,
        index_date,
        count(distinct drug_group) as high_risk_drug_groups,
        {{ dbt.listagg('distinct drug_group', "', '", "order by drug_group") }} as high_risk_drug_group_list,
        count(*) as required_tests,
        sum(case when is_met then 1 else 0 end) as required_tests_done,
        min(case when is_met then 1 else 0 end) = 1 as is_monitored
    from requirements_met
    group by practice_code, patient_id, month_start_date, index_date

)

select * from final
