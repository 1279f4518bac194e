{#
    Every medication issue classified to the drug groups of seed bnf_drug_groups whose BNF prefix
    its code starts with, for the PINCER hazards, the high-risk drug register and the
    potentially-addictive-medicines cohort. A code under two prefixes (warfarin is also an
    oral anticoagulant) gives a row for each group; a code under none is not here. Several
    issues of one group on one day are one row, because the windows that read this count
    days, not items.
    * is_repeat: at least one of the day's issues of the group was a repeat (or repeat
      dispensing).
    * repeat_template_end_date: when those repeat templates end, so a reader can tell
      whether one is still active at a date: null while any of them has no end, else the
      latest end. A template's end is the latest end any delivery of it shows (an issue
      delivered before its template was ended carries no end date).
    The few distinct BNF codes are classified once and joined back on equality: a prefix join
    per issue is slow on a year of issues.
#}
with

medication_issues as (

    select
        practice_code,
        patient_id,
        dmd_code,
        bnf_code,
        issue_date,
        issue_type in ('repeat', 'repeat_dispensing') as is_repeat,
        template_start_date,
        template_end_date
    from {{ ref('stg_clinical__medication_issues') }}

),

drug_groups as (

    select
        drug_group,
        bnf_prefix
    from {{ ref('bnf_drug_groups') }}

),

bnf_codes_grouped as (

    select distinct
        bnf_codes.bnf_code,
        drug_groups.drug_group
    from (select distinct bnf_code from medication_issues) as bnf_codes
    inner join drug_groups
        on bnf_codes.bnf_code like {{ dbt.concat(['drug_groups.bnf_prefix', "'%'"]) }}

),

grouped_issues as (

    select
        medication_issues.patient_id,
        bnf_codes_grouped.drug_group,
        medication_issues.issue_date,
        medication_issues.is_repeat,
        max(medication_issues.template_end_date) over (
            partition by
                medication_issues.practice_code,
                medication_issues.patient_id,
                medication_issues.dmd_code,
                medication_issues.template_start_date
        ) as template_end_date
    from medication_issues
    inner join bnf_codes_grouped
        on medication_issues.bnf_code = bnf_codes_grouped.bnf_code

),

final as (

    select
        patient_id,
        drug_group,
        issue_date,
        max(case when is_repeat then 1 else 0 end) = 1 as is_repeat,
        case
            when max(case when is_repeat and template_end_date is null then 1 else 0 end) = 1
                then null
            else max(case when is_repeat then template_end_date end)
        end as repeat_template_end_date
    from grouped_issues
    group by patient_id, drug_group, issue_date

)

select * from final
