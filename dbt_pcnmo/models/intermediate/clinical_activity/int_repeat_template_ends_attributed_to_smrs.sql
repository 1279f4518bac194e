{#
    Repeat templates ended in the deprescribing window of a structured medication review
    (fct_smrs), and whether each end is a deprescribing action of that SMR (KPI CA05).

    * A repeat template is identified by practice, patient, dm+d code and template start date
      (stg_clinical__medication_issues, issue_type repeat or repeat_dispensing). Its end is
      the latest end date any delivery of its issues shows; a template with no end is active.
    * In the window: the template was started on or before the SMR date (a medicine the
      patient was taking at the review) and ended on the SMR date or up to window_days after
      it (seed clinical_activity_rules, deprescribing.window_days, 28): ended the day before
      the SMR does not count, on the SMR day does, on day 28 does, on day 29 does not.
    * Overlapping SMRs: a template end inside the windows of two SMRs of the patient counts
      once, for the latest SMR dated on or before the end (the review that stopped it).
    * Stopped or reduced: the end is an action unless the patient has a replacement, a repeat
      template of the same chemical substance (BNF code to 9 characters, else the dm+d code)
      started within the SMR's window. With a replacement, the end counts as a dose reduction
      only when every replacement's strength (printed in the drug name, macro drug_strength)
      is in the same unit and the strongest is lower than the ended template's; a
      re-authorisation of the same product, the same or a higher strength, or a strength the
      names do not show is not an action (action = 'replaced').
    * A switch to a different chemical substance (e.g. 'Changed to alternative') reads as a
      stop: the extract carries no therapeutic-class link between the two templates.
    * The stop_reason text is kept for reading, not used: it is free text typed in the
      clinical system, with no national code set.
    * The extract shows a template's end on its issues of the month it ended, and the
      monthly search also re-delivers the latest issue of every template ended in the month
      without an issue that month (docs/extracts.md). Staging keeps one row per issue (the
      newest delivery), so the re-delivery adds the end date, not an issue. A template never
      issued in the extracts' span has no row and its stop stays invisible here.
#}
with

rules as (

    select cast({{ cohort_rule('deprescribing', 'window_days') }} as integer) as window_days
    from {{ ref('clinical_activity_rules') }}

),

repeat_issues as (

    select
        practice_code,
        patient_id,
        dmd_code,
        bnf_code,
        drug_name,
        template_start_date,
        template_end_date,
        stop_reason,
        delivery_month,
        issue_date
    from {{ ref('stg_clinical__medication_issues') }}
    where
        issue_type in ('repeat', 'repeat_dispensing')
        and template_start_date is not null

),

{# The newest delivery of a template's issues carries its latest state and stop reason. #}
ranked_issues as (

    select
        *,
        row_number() over (
            partition by practice_code, patient_id, dmd_code, template_start_date
            order by
                case when template_end_date is null then 1 else 0 end,
                template_end_date desc,
                delivery_month desc,
                issue_date desc
        ) as state_rank
    from repeat_issues

),

templates as (

    select
        practice_code,
        patient_id,
        dmd_code,
        bnf_code,
        drug_name,
        coalesce(substring(bnf_code, 1, 9), dmd_code) as chemical_code,
        template_start_date,
        template_end_date,
        stop_reason,
        {{ drug_strength('drug_name', 'value') }} as strength_value,
        {{ drug_strength('drug_name', 'unit') }} as strength_unit
    from ranked_issues
    where state_rank = 1

),

smrs as (

    select
        smrs.smr_id,
        smrs.patient_id,
        smrs.smr_date,
        cast({{ dbt.dateadd('day', 'rules.window_days', 'smrs.smr_date') }} as date) as window_end_date
    from {{ ref('fct_smrs') }} as smrs
    cross join rules

),

ended_in_window as (

    select
        templates.*,
        smrs.smr_id,
        smrs.smr_date,
        smrs.window_end_date,
        row_number() over (
            partition by
                templates.practice_code,
                templates.patient_id,
                templates.dmd_code,
                templates.template_start_date
            order by smrs.smr_date desc
        ) as smr_rank
    from templates
    inner join smrs
        on
            templates.patient_id = smrs.patient_id
            and templates.template_start_date <= smrs.smr_date
            and templates.template_end_date >= smrs.smr_date
            and templates.template_end_date <= smrs.window_end_date

),

attributed as (

    select * from ended_in_window
    where smr_rank = 1

),

replacements as (

    select
        attributed.practice_code,
        attributed.patient_id,
        attributed.dmd_code,
        attributed.template_start_date,
        count(*) as replacement_templates,
        max(replacement.strength_value) as strongest_replacement_value,
        min(
            case
                when
                    replacement.strength_value is not null
                    and attributed.strength_value is not null
                    and replacement.strength_unit = attributed.strength_unit
                    and replacement.dmd_code != attributed.dmd_code
                    then 1
                else 0
            end
        ) = 1 as are_replacement_strengths_comparable
    from attributed
    inner join templates as replacement
        on
            attributed.patient_id = replacement.patient_id
            and attributed.chemical_code = replacement.chemical_code
            and replacement.template_start_date >= attributed.smr_date
            and replacement.template_start_date <= attributed.window_end_date
            and not (
                replacement.practice_code = attributed.practice_code
                and replacement.dmd_code = attributed.dmd_code
                and replacement.template_start_date = attributed.template_start_date
            )
    group by
        attributed.practice_code,
        attributed.patient_id,
        attributed.dmd_code,
        attributed.template_start_date

),

final as (

    select
        {{ surrogate_key([
            'attributed.practice_code',
            'attributed.patient_id',
            'attributed.dmd_code',
            'attributed.template_start_date',
        ]) }} as repeat_template_id,
        attributed.smr_id,
        attributed.practice_code,
        attributed.patient_id,
        attributed.smr_date,
        attributed.dmd_code,
        attributed.bnf_code,
        attributed.drug_name,
        attributed.chemical_code,
        attributed.template_start_date,
        attributed.template_end_date,
        attributed.stop_reason,
        attributed.strength_value,
        attributed.strength_unit,
        coalesce(replacements.replacement_templates, 0) as replacement_templates,
        case
            when replacements.replacement_templates is null then 'stopped'
            when
                replacements.are_replacement_strengths_comparable
                and replacements.strongest_replacement_value < attributed.strength_value
                then 'dose_reduced'
            else 'replaced'
        end as action
    from attributed
    left join replacements
        on
            attributed.practice_code = replacements.practice_code
            and attributed.patient_id = replacements.patient_id
            and attributed.dmd_code = replacements.dmd_code
            and attributed.template_start_date = replacements.template_start_date

)

select * from final
