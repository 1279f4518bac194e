{#
    DES evidence item 3 read from the clinical extracts, per PCN and month; thresholds from seed
    des_evidence_rules (item 5, the care home programme, reads KPI CA10 in
    int_des_kpi_evidence_assessed_to_pcn_months). A PCN month gets a row only when at least
    one member practice delivered a clinical extract for the month (a row in
    fct_smr_cohort_monthly); otherwise the mart says no_data.

    * Item 3, monthly SNOMED-coded activity extract: of the practices that were PCN members in
      the month (int_practices_joined_to_pcns_by_month), the share that recorded at least one
      SMR coded with the SMR SNOMED concept dated in the month (fct_smrs, by the practice whose
      extract recorded it, since the item is about the practice's coding). A member practice
      without a clinical extract counts as not coded: the extract cannot be produced for it.
#}
with

rules as (

    select
        max(case when item_number = 3 and parameter = 'met_min_percent' then value end)
            as coded_met_min_percent,
        max(case when item_number = 3 and parameter = 'partly_met_min_percent' then value end)
            as coded_partly_met_min_percent
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
        reporting_month as month_start_date
    from {{ ref('fct_smr_cohort_monthly') }}
    where pcn_code is not null

),

smrs as (

    select
        reporting_month,
        recording_practice_code
    from {{ ref('fct_smrs') }}

),

pcn_months as (

    select distinct
        cohort_months.pcn_code,
        months.period_id,
        months.period_start,
        months.period_end
    from cohort_months
    inner join months
        on cohort_months.month_start_date = months.period_start

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

final as (

    select
        pcn_code,
        period_id,
        item_number,
        status,
        evidence,
        cast('' as varchar) as source_kpi_ids
    from coding_items

)

select * from final
