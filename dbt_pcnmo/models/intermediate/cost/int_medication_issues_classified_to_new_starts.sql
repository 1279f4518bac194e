{#
    New starts in the therapeutic classes of seed formulary_first_line_choices, with whether
    the patient was started on a first-line choice (CO03). The EPD cannot see new starts, so
    they come from the practices' medication issue records.

    * An issue belongs to a class when the first 9 characters of its BNF code (the chemical
      substance) are one of the class's rows (an equality join: the seed's prefixes are all
      chemical substance codes, tests/singular/assert_formulary_prefixes_are_chemical_substances).
      Issues of one patient in one class on one day count once, as first line if any of them
      is first line.
    * A new start is an issue day in the class with no issue in that class in the 12 months
      before (var formulary_new_start_lookback_months): the previous issue must be on or
      before issue_date minus 12 months, so a restart exactly 12 months after the last issue
      is a new start and one a day earlier is not. Earlier issues are looked for in every
      extract the warehouse holds for the patient, at any practice.
    * Only issues the lookback can judge: the practice's extracts must reach back the full 12
      months (its first clinical extract month, the first patient snapshot, on or before
      issue_date minus 12 months), otherwise a long-standing repeat in the first year of data
      would look new.
    * Only patients registered at the practice for at least those 12 months (their current
      registration on or before issue_date minus 12 months): a patient who joined recently
      may simply be continuing what a previous practice, whose record we cannot see, started.
#}
{%- set lookback_months = var('formulary_new_start_lookback_months') %}

with

formulary as (

    select
        therapeutic_class,
        bnf_prefix,
        is_first_line
    from {{ ref('formulary_first_line_choices') }}

),

issues as (

    select
        practice_code,
        patient_id,
        bnf_code,
        issue_date
    from {{ ref('stg_clinical__medication_issues') }}
    where
        bnf_code is not null
        and issue_date is not null

),

practice_coverage as (

    select
        practice_code,
        min(snapshot_month) as first_issue_month
    from {{ ref('stg_clinical__patients') }}
    group by practice_code

),

class_issue_days as (

    select
        issues.practice_code,
        issues.patient_id,
        formulary.therapeutic_class,
        issues.issue_date,
        max(case when formulary.is_first_line then 1 else 0 end) = 1 as is_first_line
    from issues
    inner join formulary
        on substring(issues.bnf_code, 1, 9) = formulary.bnf_prefix
    group by
        issues.practice_code,
        issues.patient_id,
        formulary.therapeutic_class,
        issues.issue_date

),

with_previous as (

    select
        practice_code,
        patient_id,
        therapeutic_class,
        issue_date,
        is_first_line,
        max(issue_date) over (
            partition by patient_id, therapeutic_class
            order by issue_date
            rows between unbounded preceding and 1 preceding
        ) as previous_issue_date
    from (
        {#- one row per patient x class x day, whichever practice issued it -#}
        select
            min(practice_code) as practice_code,
            patient_id,
            therapeutic_class,
            issue_date,
            max(case when is_first_line then 1 else 0 end) = 1 as is_first_line
        from class_issue_days
        group by patient_id, therapeutic_class, issue_date
    ) as patient_class_days

),

registrations as (

    select
        practice_code,
        patient_id,
        registration_date
    from {{ ref('stg_clinical__patients') }}
    where registration_date is not null
    group by practice_code, patient_id, registration_date

),

candidates as (

    select
        with_previous.practice_code,
        with_previous.patient_id,
        with_previous.therapeutic_class,
        with_previous.issue_date,
        with_previous.is_first_line,
        with_previous.previous_issue_date,
        cast({{ dbt.dateadd('month', -1 * lookback_months, 'with_previous.issue_date') }} as date)
            as lookback_start_date
    from with_previous

),

current_registrations as (

    select
        candidates.practice_code,
        candidates.patient_id,
        candidates.issue_date,
        max(registrations.registration_date) as registration_date
    from candidates
    inner join registrations
        on
            candidates.practice_code = registrations.practice_code
            and candidates.patient_id = registrations.patient_id
            and registrations.registration_date <= candidates.issue_date
    group by candidates.practice_code, candidates.patient_id, candidates.issue_date

),

final as (

    select
        candidates.practice_code,
        candidates.patient_id,
        candidates.therapeutic_class,
        candidates.issue_date as start_date,
        cast({{ dbt.date_trunc('month', 'candidates.issue_date') }} as date) as start_month,
        candidates.is_first_line,
        candidates.previous_issue_date,
        current_registrations.registration_date
    from candidates
    inner join practice_coverage
        on candidates.practice_code = practice_coverage.practice_code
    inner join current_registrations
        on
            candidates.practice_code = current_registrations.practice_code
            and candidates.patient_id = current_registrations.patient_id
            and candidates.issue_date = current_registrations.issue_date
    where
        (
            candidates.previous_issue_date is null
            or candidates.previous_issue_date <= candidates.lookback_start_date
        )
        and practice_coverage.first_issue_month <= candidates.lookback_start_date
        and current_registrations.registration_date <= candidates.lookback_start_date

)

select * from final
