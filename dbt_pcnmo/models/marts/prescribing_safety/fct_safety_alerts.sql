{#
    The alert closure log as the PCN's latest delivery shows it, one row per alert x
    practice, for the classes whose closure is measured (NatPSA, MHRA Class 1 to 4). Rules
    (deadlines, calendar or working days, status) are in
    int_safety_alerts_checked_against_windows. Status is as at the end of the latest month
    the PCN delivered its log for, so an open alert is 'open_past_window' once its deadline
    is before that day. No small-number suppression here: outputs apply it.
#}
with

alerts as (

    select * from {{ ref('int_safety_alerts_checked_against_windows') }}

),

final as (

    select
        pcn_code,
        practice_code,
        alert_reference,
        alert_title,
        alert_type_label as alert_class,
        received_date,
        deadline_date,
        closed_date,
        triage_outcome,
        status,
        days_to_close,
        days_past_window
    from alerts

)

select * from final
