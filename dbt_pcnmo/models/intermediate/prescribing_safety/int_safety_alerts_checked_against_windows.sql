{#
    Each alert x practice of a PCN's alert log, with the deadline its class gives it and its
    closure status as at the end of the log's month (the PCN's latest delivery).

    * Classes: only those seed alert_class_windows measures (NatPSA, MHRA Class 1 to 4);
      company-led recalls and Drug Safety Updates have no action window and are left out.
    * Deadline: NatPSAs carry their own deadline_date (a NatPSA logged without one is held to
      the Class 1 window, same day: both concern a risk of death or disability). Other classes:
      received_date + action_window_days, in calendar days, or in working days (Monday to
      Friday, not a bank holiday in seed bank_holidays_england) when the class's day_type or
      the dbt var alert_window_day_type says so. A window of N working days ends on the Nth
      working day after receipt (an alert received on Saturday with 2 working days is due on
      Tuesday); 0 days is the day of receipt, whatever day that is (Class 1 is immediate,
      out of hours included). Working-day deadlines exist only for the years the bank-holiday
      seed covers (deadline_date is then null, and its not_null test fails: extend the seed).
    * Status: triaged Not applicable -> not_applicable (kept and shown, never in a KPI
      denominator). Otherwise (Applicable, or Pending triage: an untriaged alert is still
      owed an action) closed on or before the deadline -> closed_in_window (the deadline day
      itself is in the window), closed later -> closed_late; open with the deadline before
      the log's month end -> open_past_window, else open_in_window.
    * days_to_close counts calendar days from receipt to closure; days_past_window counts
      calendar days from the deadline to the closure (closed_late) or to the log's month end
      (open_past_window), null otherwise.
#}
{%- set day_type_override = var('alert_window_day_type') %}
{%- if day_type_override not in (none, 'calendar', 'working') %}
    {{ exceptions.raise_compiler_error(
        "dbt var alert_window_day_type must be null, 'calendar' or 'working', not '"
        ~ day_type_override ~ "'"
    ) }}
{%- endif %}

with

alerts as (

    select
        pcn_code,
        practice_code,
        alert_reference,
        alert_title,
        alert_type,
        triage_outcome,
        received_date,
        deadline_date as alert_deadline_date,
        closed_date,
        snapshot_month
    from {{ ref('stg_local__safety_alerts') }}

),

windows as (

    select
        alert_type,
        alert_type_label,
        closure_kpi_id,
        coalesce(action_window_days, 0) as action_window_days,
        {% if day_type_override -%}
        '{{ day_type_override }}' as day_type,
        {%- else -%}
        day_type,
        {%- endif %}
        uses_alert_deadline
    from {{ ref('alert_class_windows') }}
    where is_closure_measured

),

logs as (

    {{ log_covered_to_dates('alerts', 'status_as_of_date') }}

),

holidays as (

    select holiday_date
    from {{ ref('bank_holidays_england') }}

),

calendar_bounds as (

    select
        cast({{ dbt.date_trunc('year', 'min(holiday_date)') }} as date) as first_date,
        cast({{ dbt.dateadd(
            'day', -1, dbt.dateadd('year', 1, dbt.date_trunc('year', 'max(holiday_date)'))
        ) }} as date) as last_date
    from holidays

),

calendar_days as (

    select cast(unnest(generate_series(first_date, last_date, interval 1 day)) as date)
        as calendar_date
    from calendar_bounds

),

working_calendar as (

    select
        calendar_days.calendar_date,
        extract(isodow from calendar_days.calendar_date) <= 5
        and holidays.holiday_date is null as is_working_day
    from calendar_days
    left join holidays
        on calendar_days.calendar_date = holidays.holiday_date

),

numbered_calendar as (

    select
        calendar_date,
        is_working_day,
        {#- working days up to and including this date: the Nth working day after a date d is
            the working day numbered number(d) + N -#}
        sum(case when is_working_day then 1 else 0 end) over (
            order by calendar_date rows between unbounded preceding and current row
        ) as working_day_number
    from working_calendar

),

joined as (

    select
        alerts.pcn_code,
        alerts.practice_code,
        alerts.alert_reference,
        alerts.alert_title,
        alerts.alert_type,
        windows.alert_type_label,
        windows.closure_kpi_id,
        alerts.triage_outcome,
        alerts.received_date,
        alerts.closed_date,
        logs.status_as_of_date,
        case
            when windows.uses_alert_deadline
                then coalesce(alerts.alert_deadline_date, alerts.received_date)
            when windows.action_window_days = 0 then alerts.received_date
            when windows.day_type = 'working' then working_deadlines.calendar_date
            else cast({{ dbt.dateadd(
                'day', 'windows.action_window_days', 'alerts.received_date'
            ) }} as date)
        end as deadline_date
    from alerts
    inner join windows
        on alerts.alert_type = windows.alert_type
    inner join logs
        on alerts.pcn_code = logs.pcn_code
    left join numbered_calendar as received_days
        on alerts.received_date = received_days.calendar_date
    left join numbered_calendar as working_deadlines
        on
            working_deadlines.is_working_day
            and working_deadlines.working_day_number
            = received_days.working_day_number + windows.action_window_days

),

assessed as (

    select
        *,
        case
            when triage_outcome = 'not_applicable' then 'not_applicable'
            when closed_date <= deadline_date then 'closed_in_window'
            when closed_date is not null then 'closed_late'
            when deadline_date < status_as_of_date then 'open_past_window'
            else 'open_in_window'
        end as status
    from joined

),

final as (

    select
        pcn_code,
        practice_code,
        alert_reference,
        alert_title,
        alert_type,
        alert_type_label,
        closure_kpi_id,
        triage_outcome,
        received_date,
        deadline_date,
        closed_date,
        status_as_of_date,
        status,
        status in ('closed_in_window', 'closed_late', 'open_past_window') as is_closure_due,
        status = 'closed_in_window' as is_closed_in_window,
        cast({{ dbt.datediff('received_date', 'closed_date', 'day') }} as integer)
            as days_to_close,
        cast(case
            when status = 'closed_late'
                then {{ dbt.datediff('deadline_date', 'closed_date', 'day') }}
            when status = 'open_past_window'
                then {{ dbt.datediff('deadline_date', 'status_as_of_date', 'day') }}
        end as integer) as days_past_window
    from assessed

)

select * from final
