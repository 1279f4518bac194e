{#
    Every medication issue classified to the drug groups of seed bnf_drug_groups whose BNF prefix
    its code starts with, for the PINCER hazards and the high-risk drug register. A code under
    two prefixes (warfarin is also an oral anticoagulant) gives a row for each group; a code
    under none is not here. Several issues of one group on one day are one row, because the
    windows that read this count days, not items.
    The few distinct BNF codes are classified once and joined back on equality: a prefix join
    per issue is slow on a year of issues.
#}
with

medication_issues as (

    select
        patient_id,
        bnf_code,
        issue_date
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

final as (

    select distinct
        medication_issues.patient_id,
        bnf_codes_grouped.drug_group,
        medication_issues.issue_date
    from medication_issues
    inner join bnf_codes_grouped
        on medication_issues.bnf_code = bnf_codes_grouped.bnf_code

)

select * from final
