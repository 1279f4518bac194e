{#
    Every structured medication review (fct_smrs) with the deprescribing actions attributed
    to it: the numerator of KPI CA05 is the sum of deprescribing_actions over the SMRs of a
    period, the denominator their count.

    * Template actions: repeat templates stopped or dose-reduced in the SMR's window
      (int_repeat_template_ends_attributed_to_smrs, action 'stopped' or 'dose_reduced').
    * Coded actions: deprescribing codes (seed snomed_codelists, deprescribing, e.g.
      274512008 Drug therapy discontinued) for the patient dated on the SMR date or within
      window_days after it; like template ends, a code in two SMRs' windows counts for the
      latest SMR dated on or before it.
    * No double counting: a code names no medicine, so it cannot be matched to a template.
      Clinicians often code the stop they also make on the template, so the SMR's actions
      are the greater of the two counts, not their sum: a code adds to the count only where
      the templates show fewer stops than were coded (e.g. a stop whose template end the
      monthly extract does not show). Where both record different stops, this undercounts.
    * is_window_closed is false while the SMR's window runs past the practice's latest
      clinical extract: later extracts can still add actions, so the latest month's CA05 is
      provisional (it is reported, and can rise when the next month arrives).
#}
with

rules as (

    select cast({{ cohort_rule('deprescribing', 'window_days') }} as integer) as window_days
    from {{ ref('clinical_activity_rules') }}

),

smrs as (

    select
        smrs.smr_id,
        smrs.patient_id,
        smrs.smr_date,
        smrs.reporting_month,
        smrs.practice_code,
        smrs.pcn_code,
        cast({{ dbt.dateadd('day', 'rules.window_days', 'smrs.smr_date') }} as date) as window_end_date
    from {{ ref('fct_smrs') }} as smrs
    cross join rules

),

template_actions as (

    select
        smr_id,
        sum(case when action = 'stopped' then 1 else 0 end) as templates_stopped,
        sum(case when action = 'dose_reduced' then 1 else 0 end) as templates_dose_reduced
    from {{ ref('int_repeat_template_ends_attributed_to_smrs') }}
    group by smr_id

),

deprescribing_codes as (

    select snomed_code
    from {{ ref('snomed_codelists') }}
    where codelist_id = 'deprescribing'

),

coded_events as (

    select
        events.event_id,
        smrs.smr_id,
        row_number() over (
            partition by events.event_id
            order by smrs.smr_date desc
        ) as smr_rank
    from {{ ref('stg_clinical__events') }} as events
    inner join deprescribing_codes
        on events.snomed_code = deprescribing_codes.snomed_code
    inner join smrs
        on
            events.patient_id = smrs.patient_id
            and events.event_date >= smrs.smr_date
            and events.event_date <= smrs.window_end_date

),

coded_actions as (

    select
        smr_id,
        count(*) as coded_deprescribing_events
    from coded_events
    where smr_rank = 1
    group by smr_id

),

data_cutoffs as (

    select
        practice_code,
        max({{ month_end_date('snapshot_month') }}) as data_cutoff_date
    from {{ ref('stg_clinical__patients') }}
    group by practice_code

),

final as (

    select
        smrs.smr_id,
        smrs.patient_id,
        smrs.smr_date,
        smrs.reporting_month,
        smrs.practice_code,
        smrs.pcn_code,
        smrs.window_end_date,
        coalesce(template_actions.templates_stopped, 0) as templates_stopped,
        coalesce(template_actions.templates_dose_reduced, 0) as templates_dose_reduced,
        coalesce(coded_actions.coded_deprescribing_events, 0) as coded_deprescribing_events,
        greatest(
            coalesce(template_actions.templates_stopped, 0)
            + coalesce(template_actions.templates_dose_reduced, 0),
            coalesce(coded_actions.coded_deprescribing_events, 0)
        ) as deprescribing_actions,
        coalesce(smrs.window_end_date <= data_cutoffs.data_cutoff_date, false) as is_window_closed
    from smrs
    left join template_actions
        on smrs.smr_id = template_actions.smr_id
    left join coded_actions
        on smrs.smr_id = coded_actions.smr_id
    left join data_cutoffs
        on smrs.practice_code = data_cutoffs.practice_code

)

select * from final
