{#
    Each hospital discharge notified to a practice, with whether the patient's medicines were
    reconciled within the window of NICE QS120 statement 5 (seed clinical_activity_rules,
    discharge_reconciliation.window_days), and whether it belongs in KPI CA04.

    * The clock starts on document_received_date (the day the practice received the discharge
      information), not the discharge date. The discharge counts in the period, practice and
      PCN of its receipt: the receiving practice, in the PCN it belonged to that month.
    * Reconciled: a medicines_reconciliation code (seed snomed_codelists) for the patient dated
      on or after the receipt date and at most window_days calendar days after it: with a
      7-day window, received on the 1st, a code on the 8th counts and one on the 9th does not.
      A code dated before the receipt does not count: the practice cannot have reconciled a
      list it had not yet received (it belongs to an earlier discharge, or to none).
    * Discharged twice in a week: each letter is its own discharge and needs a code dated on
      or after its own receipt. One code after the second letter counts for both (it
      reconciles the current list against both); a code between the two counts for the first
      only.
    * On medicines (QS120 denominator): at least one repeat (or repeat dispensing) issue to the
      patient in the on_medicines_lookback_months calendar months before the receipt (receipt
      day included), or a later repeat issue from a template started on or before the
      receipt day (the template was live at receipt). Patients on no repeat medicines are
      left out.
    * Deregistered or died: a patient whose registration at the receiving practice ended
      (death or deregistration) before the window closed and who was not reconciled by then is
      left out: the practice could not complete the window. If reconciled within the window,
      the discharge stays in (and counts as reconciled).
    * Window still open: the data can only show reconciliations up to the practice's latest
      clinical extract (the end of its latest snapshot month). A discharge whose window ends
      after that day is left out of numerator and denominator until the next extract closes
      it, so a month's CA04 is provisional while letters from its last days are pending:
      the figure for the latest month can move when next month's extract arrives. Leaving
      them all out (not only the unreconciled ones) keeps the provisional figure unbiased.
#}
with

rules as (

    select
        cast({{ cohort_rule('discharge_reconciliation', 'window_days') }} as integer) as window_days,
        cast({{ cohort_rule('discharge_reconciliation', 'on_medicines_lookback_months') }} as integer)
            as on_medicines_lookback_months
    from {{ ref('clinical_activity_rules') }}

),

discharges as (

    select
        discharges.discharge_id,
        discharges.practice_code,
        discharges.patient_id,
        discharges.discharge_date,
        discharges.document_received_date,
        cast({{ dbt.dateadd('day', 'rules.window_days', 'discharges.document_received_date') }} as date)
            as window_end_date,
        cast({{ dbt.dateadd(
            'month', '-rules.on_medicines_lookback_months', 'discharges.document_received_date'
        ) }} as date) as on_medicines_from_date
    from {{ ref('stg_clinical__discharges') }} as discharges
    cross join rules

),

reconciliation_codes as (

    select snomed_code
    from {{ ref('snomed_codelists') }}
    where codelist_id = 'medicines_reconciliation'

),

reconciliations as (

    select
        events.patient_id,
        events.event_date
    from {{ ref('stg_clinical__events') }} as events
    inner join reconciliation_codes
        on events.snomed_code = reconciliation_codes.snomed_code

),

first_reconciliations as (

    select
        discharges.discharge_id,
        min(reconciliations.event_date) as reconciliation_date
    from discharges
    inner join reconciliations
        on
            discharges.patient_id = reconciliations.patient_id
            and reconciliations.event_date >= discharges.document_received_date
            and reconciliations.event_date <= discharges.window_end_date
    group by discharges.discharge_id

),

{# A repeat issued in the lookback months, or issued after the receipt from a template started
   on or before it (so the template was live on the receipt day). Acute issues do not count:
   a course finished months ago does not make a patient 'on medicines' at discharge. The second also covers the
   first months of the warehouse, whose lookback reaches before the first extract. A
   template's missing end date is not used as evidence: ends only show on some issues. #}
on_medicines as (

    select distinct discharges.discharge_id
    from discharges
    inner join {{ ref('stg_clinical__medication_issues') }} as issues
        on
            discharges.patient_id = issues.patient_id
            and issues.issue_type in ('repeat', 'repeat_dispensing')
            and (
                (
                    issues.issue_date > discharges.on_medicines_from_date
                    and issues.issue_date <= discharges.document_received_date
                )
                or (
                    issues.issue_date > discharges.document_received_date
                    and issues.template_start_date <= discharges.document_received_date
                )
            )

),

{# The registration at the receiving practice current on the receipt date: the latest one
   started by then, as any snapshot shows it (a later snapshot may add its end date). #}
registrations as (

    select
        practice_code,
        patient_id,
        registration_date,
        max(deregistration_date) as deregistration_date,
        max(death_date) as death_date
    from {{ ref('stg_clinical__patients') }}
    group by practice_code, patient_id, registration_date

),

registration_at_receipt as (

    select
        discharges.discharge_id,
        case
            when registrations.death_date is null then registrations.deregistration_date
            when registrations.deregistration_date is null then registrations.death_date
            else least(registrations.death_date, registrations.deregistration_date)
        end as registration_end_date,
        row_number() over (
            partition by discharges.discharge_id
            order by registrations.registration_date desc
        ) as registration_rank
    from discharges
    inner join registrations
        on
            discharges.practice_code = registrations.practice_code
            and discharges.patient_id = registrations.patient_id
            and registrations.registration_date <= discharges.document_received_date

),

data_cutoffs as (

    select
        practice_code,
        max({{ month_end_date('snapshot_month') }}) as data_cutoff_date
    from {{ ref('stg_clinical__patients') }}
    group by practice_code

),

practice_pcns as (

    select
        practice_code,
        month_start_date,
        pcn_code
    from {{ ref('int_practices_joined_to_pcns_by_month') }}

),

joined as (

    select
        discharges.discharge_id,
        discharges.practice_code,
        practice_pcns.pcn_code,
        discharges.patient_id,
        discharges.discharge_date,
        discharges.document_received_date,
        cast({{ dbt.date_trunc('month', 'discharges.document_received_date') }} as date)
            as received_month,
        discharges.window_end_date,
        first_reconciliations.reconciliation_date,
        registration_at_receipt.registration_end_date,
        data_cutoffs.data_cutoff_date,
        on_medicines.discharge_id is not null as is_on_medicines,
        first_reconciliations.reconciliation_date is not null as is_reconciled_in_window,
        coalesce(discharges.window_end_date <= data_cutoffs.data_cutoff_date, false)
            as is_window_closed,
        coalesce(
            registration_at_receipt.registration_end_date <= discharges.window_end_date
            and (
                first_reconciliations.reconciliation_date is null
                or first_reconciliations.reconciliation_date
                > registration_at_receipt.registration_end_date
            ),
            false
        ) as left_practice_before_reconciliation
    from discharges
    left join first_reconciliations
        on discharges.discharge_id = first_reconciliations.discharge_id
    left join on_medicines
        on discharges.discharge_id = on_medicines.discharge_id
    left join registration_at_receipt
        on
            discharges.discharge_id = registration_at_receipt.discharge_id
            and registration_at_receipt.registration_rank = 1
    left join data_cutoffs
        on discharges.practice_code = data_cutoffs.practice_code
    left join practice_pcns
        on
            discharges.practice_code = practice_pcns.practice_code
            and {{ dbt.date_trunc('month', 'discharges.document_received_date') }}
            = practice_pcns.month_start_date

),

final as (

    select
        discharge_id,
        practice_code,
        pcn_code,
        patient_id,
        discharge_date,
        document_received_date,
        received_month,
        window_end_date,
        reconciliation_date,
        registration_end_date,
        data_cutoff_date,
        is_on_medicines,
        is_reconciled_in_window,
        is_window_closed,
        left_practice_before_reconciliation,
        (
            is_on_medicines
            and is_window_closed
            and not left_practice_before_reconciliation
        ) as is_in_denominator
    from joined

)

select * from final
