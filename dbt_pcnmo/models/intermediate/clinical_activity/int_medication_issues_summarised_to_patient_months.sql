{#
    What each patient was taking, as at the end of each snapshot month, for the DES SMR
    cohorts. Windows are whole calendar months ending with the reporting month (a 6-month
    window for September is 1 April to 30 September); their lengths come from seed
    cohort_rules.

    A repeat medicine is current when it was issued as a repeat (or repeat dispensing) within
    the polypharmacy window and its template is active at the month end: started on or before
    the month end and not ended by it (a template ending on the month end, or the day before,
    is no longer active). Medicines are counted as distinct dm+d codes. An issue delivered
    before its template was ended carries no end date, so a template's end is the latest end
    any delivery of it shows.

    Potentially addictive medicines (opioids, gabapentinoids, benzodiazepines, Z-drugs: the
    addictive_medicines groups of seed bnf_drug_groups, classified in
    int_medication_issues_classified_to_drug_groups): the days in the addictive window with
    an issue of any of them, and whether one of those issues was on a repeat template still
    active at the month end. Issues count at whichever practice made them, as the record
    moves with the patient (GP2GP).

    Performance: joining every issue to every month whose window holds it multiplies 1.3M
    issues sixfold. Instead each template's issue months are merged into spans ("islands") of
    months in which it counts (an issue in month X counts for months X to X + window - 1), and
    months join spans; only the few issues of the drug groups are joined month by month.
#}
{{ config(
    incremental_strategy='append',
    pre_hook="{{ delete_months_to_rebuild('month_start_date') }}",
) }}
with

rules as (

    select
        {{ cohort_rule('polypharmacy', 'lookback_months') }} as polypharmacy_lookback_months,
        {{ cohort_rule('addictive_medicines', 'lookback_months') }} as addictive_lookback_months
    from {{ ref('cohort_rules') }}

),

windows as (

    select
        cast(polypharmacy_lookback_months as integer) as polypharmacy_lookback_months,
        cast(addictive_lookback_months as integer) as addictive_lookback_months
    from rules

),

patient_months as (

    select distinct
        practice_code,
        patient_id,
        snapshot_month as month_start_date,
        {{ month_end_date('snapshot_month') }} as month_end_date
    from {{ ref('stg_clinical__patients') }}
    where {{ months_to_rebuild('snapshot_month') }}

),

issues as (

    select
        practice_code,
        patient_id,
        dmd_code,
        bnf_code,
        issue_date,
        cast({{ dbt.date_trunc('month', 'issue_date') }} as date) as issue_month,
        issue_type in ('repeat', 'repeat_dispensing') as is_repeat,
        template_start_date,
        max(template_end_date) over (
            partition by practice_code, patient_id, dmd_code, template_start_date
        ) as template_end_date
    from {{ ref('stg_clinical__medication_issues') }}

),

-- polypharmacy: spans of months in which each repeat template counts

template_issue_months as (

    select distinct
        practice_code,
        patient_id,
        dmd_code,
        template_start_date,
        template_end_date,
        issue_month
    from issues
    where is_repeat

),

template_issue_gaps as (

    select
        template_issue_months.*,
        case
            when
                lag(template_issue_months.issue_month) over (
                    partition by
                        template_issue_months.practice_code,
                        template_issue_months.patient_id,
                        template_issue_months.dmd_code,
                        template_issue_months.template_start_date
                    order by template_issue_months.issue_month
                ) >= {{ dbt.dateadd(
                    'month', '-windows.polypharmacy_lookback_months', 'template_issue_months.issue_month'
                ) }}
                then 0
            else 1
        end as starts_span,
        windows.polypharmacy_lookback_months
    from template_issue_months
    cross join windows

),

template_issue_spans as (

    select
        *,
        sum(starts_span) over (
            partition by practice_code, patient_id, dmd_code, template_start_date
            order by issue_month
            rows between unbounded preceding and current row
        ) as span_number
    from template_issue_gaps

),

template_spans as (

    select
        practice_code,
        patient_id,
        dmd_code,
        template_start_date,
        template_end_date,
        min(issue_month) as first_counted_month,
        cast({{ dbt.dateadd(
            'month', 'max(polypharmacy_lookback_months) - 1', 'max(issue_month)'
        ) }} as date) as last_counted_month
    from template_issue_spans
    group by practice_code, patient_id, dmd_code, template_start_date, template_end_date, span_number

),

current_repeats as (

    select
        patient_months.practice_code,
        patient_months.patient_id,
        patient_months.month_start_date,
        count(distinct template_spans.dmd_code) as current_repeat_medicine_count
    from patient_months
    inner join template_spans
        on
            patient_months.practice_code = template_spans.practice_code
            and patient_months.patient_id = template_spans.patient_id
            and patient_months.month_start_date >= template_spans.first_counted_month
            and patient_months.month_start_date <= template_spans.last_counted_month
            and template_spans.template_start_date <= patient_months.month_end_date
            and (
                template_spans.template_end_date is null
                or template_spans.template_end_date > patient_months.month_end_date
            )
    group by patient_months.practice_code, patient_months.patient_id, patient_months.month_start_date

),

-- addictive medicines: issues of those drug groups (classified once, with the PINCER and
-- high-risk drug groups, in int_medication_issues_classified_to_drug_groups), month by month

grouped_issues as (

    select
        classified.patient_id,
        classified.issue_date,
        cast({{ dbt.date_trunc('month', 'classified.issue_date') }} as date) as issue_month,
        classified.is_repeat,
        classified.repeat_template_end_date
    from {{ ref('int_medication_issues_classified_to_drug_groups') }} as classified
    where classified.drug_group in (
        select drug_group
        from {{ ref('bnf_drug_groups') }}
        where purpose = 'addictive_medicines'
    )

),

grouped_issues_in_window as (

    select
        patient_months.practice_code,
        patient_months.patient_id,
        patient_months.month_start_date,
        grouped_issues.issue_date,
        grouped_issues.is_repeat
        and (
            grouped_issues.repeat_template_end_date is null
            or grouped_issues.repeat_template_end_date > patient_months.month_end_date
        ) as is_on_active_template
    from patient_months
    cross join windows
    inner join grouped_issues
        on
            patient_months.patient_id = grouped_issues.patient_id
            and grouped_issues.issue_date <= patient_months.month_end_date
            and grouped_issues.issue_month >= {{ dbt.dateadd(
                'month', '1 - windows.addictive_lookback_months', 'patient_months.month_start_date'
            ) }}

),

drug_groups_summarised as (

    select
        practice_code,
        patient_id,
        month_start_date,
        count(distinct issue_date) as addictive_medicine_issue_days,
        max(case when is_on_active_template then 1 else 0 end) = 1 as is_on_addictive_medicine_repeat
    from grouped_issues_in_window
    group by practice_code, patient_id, month_start_date

),

final as (

    select
        {{ surrogate_key([
            'patient_months.practice_code', 'patient_months.patient_id', 'patient_months.month_start_date'
        ]) }} as patient_month_id,
        patient_months.practice_code,
        patient_months.patient_id,
        patient_months.month_start_date,
        patient_months.month_end_date,
        coalesce(current_repeats.current_repeat_medicine_count, 0) as current_repeat_medicine_count,
        coalesce(drug_groups_summarised.addictive_medicine_issue_days, 0)
            as addictive_medicine_issue_days,
        coalesce(drug_groups_summarised.is_on_addictive_medicine_repeat, false)
            as is_on_addictive_medicine_repeat
    from patient_months
    left join current_repeats
        on
            patient_months.practice_code = current_repeats.practice_code
            and patient_months.patient_id = current_repeats.patient_id
            and patient_months.month_start_date = current_repeats.month_start_date
    left join drug_groups_summarised
        on
            patient_months.practice_code = drug_groups_summarised.practice_code
            and patient_months.patient_id = drug_groups_summarised.patient_id
            and patient_months.month_start_date = drug_groups_summarised.month_start_date

)

select * from final
