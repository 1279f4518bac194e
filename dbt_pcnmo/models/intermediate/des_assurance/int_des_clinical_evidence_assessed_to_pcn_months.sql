{#
    DES evidence items read from the clinical extracts, per PCN and month; thresholds from seed
    des_evidence_rules. A PCN month gets rows only when at least one member practice delivered
    a clinical extract for the month (a row in fct_smr_cohort_monthly); otherwise the mart says
    no_data.

    * Item 3, monthly SNOMED-coded activity extract: of the practices that were PCN members in
      the month (int_practices_joined_to_pcns_by_month), the share that recorded at least one
      SMR coded with the SMR SNOMED concept dated in the month (fct_smrs, by the practice whose
      extract recorded it, since the item is about the practice's coding). A member practice
      without a clinical extract counts as not coded: the extract cannot be produced for it.
    * Item 5, care home MO programme (EHCH): of the care-home residents registered at the
      month end (fct_smr_cohort_monthly care_home_patients, summed over the PCN's practices),
      the share reviewed: distinct patients with an SMR dated in the lookback_months up to the
      month end as a care-home resident (fct_smrs.is_care_home_resident: in the care-home
      cohort at the end of the month before the SMR's month or of its month), who are still
      registered at a PCN member practice at the month end (the month's patient snapshot; a
      resident who died or left no longer counts). A resident who moved out of a care home
      within the window still counts, so the share can slightly overstate coverage. The month
      is no_data while the PCN's clinical extracts start after the window does (too little
      SMR history to judge a year). No residents at all is met: there is no one to review.
#}
with

rules as (

    select
        max(case when item_number = 3 and parameter = 'met_min_percent' then value end)
            as coded_met_min_percent,
        max(case when item_number = 3 and parameter = 'partly_met_min_percent' then value end)
            as coded_partly_met_min_percent,
        cast(max(case when item_number = 5 and parameter = 'lookback_months' then value end) as integer)
            as care_home_lookback_months,
        max(case when item_number = 5 and parameter = 'met_min_percent' then value end)
            as care_home_met_min_percent,
        max(case when item_number = 5 and parameter = 'partly_met_min_percent' then value end)
            as care_home_partly_met_min_percent
    from {{ ref('des_evidence_rules') }}

),

months as (

    select
        period_id,
        period_start,
        period_end
    from {{ ref('dim_periods') }}
    where period_type = 'month'

),

memberships as (

    select
        practice_code,
        pcn_code,
        month_start_date
    from {{ ref('int_practices_joined_to_pcns_by_month') }}

),

cohort_months as (

    select
        practice_code,
        pcn_code,
        reporting_month as month_start_date,
        care_home_patients
    from {{ ref('fct_smr_cohort_monthly') }}
    where pcn_code is not null

),

smrs as (

    select
        patient_id,
        smr_date,
        reporting_month,
        recording_practice_code,
        is_care_home_resident
    from {{ ref('fct_smrs') }}

),

pcn_months as (

    select
        cohort_months.pcn_code,
        months.period_id,
        months.period_start,
        months.period_end,
        cast({{ dbt.dateadd(
            'month', '1 - rules.care_home_lookback_months', 'months.period_start'
        ) }} as date) as care_home_window_start_date,
        rules.care_home_lookback_months,
        sum(cohort_months.care_home_patients) as care_home_patients
    from cohort_months
    cross join rules
    inner join months
        on cohort_months.month_start_date = months.period_start
    group by
        cohort_months.pcn_code,
        months.period_id,
        months.period_start,
        months.period_end,
        rules.care_home_lookback_months

),

pcn_history as (

    select
        pcn_code,
        min(month_start_date) as first_extract_month
    from cohort_months
    group by pcn_code

),

{# Item 3 #}

coded_practices as (

    select
        recording_practice_code as practice_code,
        reporting_month as month_start_date,
        count(*) as smrs
    from smrs
    group by recording_practice_code, reporting_month

),

member_practice_coding as (

    select
        pcn_months.pcn_code,
        pcn_months.period_id,
        memberships.practice_code,
        coalesce(coded_practices.smrs, 0) as smrs
    from pcn_months
    inner join memberships
        on
            pcn_months.pcn_code = memberships.pcn_code
            and pcn_months.period_start = memberships.month_start_date
    left join coded_practices
        on
            memberships.practice_code = coded_practices.practice_code
            and memberships.month_start_date = coded_practices.month_start_date

),

coding_counts as (

    select
        pcn_code,
        period_id,
        count(*) as member_practices,
        sum(case when smrs > 0 then 1 else 0 end) as coded_practices,
        sum(smrs) as smrs,
        {{ dbt.listagg(
            "case when smrs = 0 then practice_code end", "', '", "order by practice_code"
        ) }} as uncoded_practice_codes
    from member_practice_coding
    group by pcn_code, period_id

),

coding_items as (

    select
        coding_counts.pcn_code,
        coding_counts.period_id,
        3 as item_number,
        case
            when 100.0 * coding_counts.coded_practices / coding_counts.member_practices
                >= rules.coded_met_min_percent then 'met'
            when 100.0 * coding_counts.coded_practices / coding_counts.member_practices
                >= rules.coded_partly_met_min_percent then 'partly_met'
            else 'not_met'
        end as status,
        cast(coding_counts.coded_practices as varchar) || ' of '
        || cast(coding_counts.member_practices as varchar)
        || ' member practices recorded SMRs with the SMR SNOMED concept in the month ('
        || cast(coding_counts.smrs as varchar) || ' SMRs)'
        || coalesce('; none coded at ' || coding_counts.uncoded_practice_codes, '')
        || '.' as evidence
    from coding_counts
    cross join rules

),

{# Item 5 #}

reviewed_residents as (

    select
        pcn_months.pcn_code,
        pcn_months.period_id,
        count(distinct smrs.patient_id) as reviewed_residents
    from pcn_months
    inner join cohort_months
        on
            pcn_months.pcn_code = cohort_months.pcn_code
            and pcn_months.period_start = cohort_months.month_start_date
    inner join {{ ref('stg_clinical__patients') }} as patients
        on
            cohort_months.practice_code = patients.practice_code
            and cohort_months.month_start_date = patients.snapshot_month
            and patients.registration_date <= pcn_months.period_end
            and (patients.deregistration_date is null or patients.deregistration_date > pcn_months.period_end)
            and (patients.death_date is null or patients.death_date > pcn_months.period_end)
    inner join smrs
        on
            patients.patient_id = smrs.patient_id
            and smrs.is_care_home_resident
            and smrs.smr_date between pcn_months.care_home_window_start_date and pcn_months.period_end
    group by pcn_months.pcn_code, pcn_months.period_id

),

care_home_items as (

    select
        pcn_months.pcn_code,
        pcn_months.period_id,
        5 as item_number,
        case
            when pcn_history.first_extract_month > pcn_months.care_home_window_start_date
                then 'no_data'
            when pcn_months.care_home_patients = 0 then 'met'
            when 100.0 * coalesce(reviewed_residents.reviewed_residents, 0) / pcn_months.care_home_patients
                >= rules.care_home_met_min_percent then 'met'
            when 100.0 * coalesce(reviewed_residents.reviewed_residents, 0) / pcn_months.care_home_patients
                >= rules.care_home_partly_met_min_percent then 'partly_met'
            else 'not_met'
        end as status,
        case
            when pcn_history.first_extract_month > pcn_months.care_home_window_start_date
                then 'Clinical extracts start ' || cast(pcn_history.first_extract_month as varchar)
                    || ': ' || cast(pcn_months.care_home_lookback_months as varchar)
                    || ' months of SMR history are needed to judge the care home programme.'
            when pcn_months.care_home_patients = 0
                then 'No care-home residents registered at ' || cast(pcn_months.period_end as varchar) || '.'
            else cast(coalesce(reviewed_residents.reviewed_residents, 0) as varchar) || ' of '
                || cast(pcn_months.care_home_patients as varchar)
                || ' care-home residents registered at ' || cast(pcn_months.period_end as varchar)
                || ' (' || cast(round(
                    100.0 * coalesce(reviewed_residents.reviewed_residents, 0)
                    / pcn_months.care_home_patients, 1
                ) as varchar)
                || '%) had an SMR as a care-home resident since '
                || cast(pcn_months.care_home_window_start_date as varchar) || '.'
        end as evidence
    from pcn_months
    cross join rules
    inner join pcn_history
        on pcn_months.pcn_code = pcn_history.pcn_code
    left join reviewed_residents
        on
            pcn_months.pcn_code = reviewed_residents.pcn_code
            and pcn_months.period_id = reviewed_residents.period_id

),

final as (

    select
        pcn_code,
        period_id,
        item_number,
        status,
        evidence,
        cast('' as varchar) as source_kpi_ids
    from coding_items
    union all
    select
        pcn_code,
        period_id,
        item_number,
        status,
        evidence,
        cast('' as varchar) as source_kpi_ids
    from care_home_items

)

select * from final
