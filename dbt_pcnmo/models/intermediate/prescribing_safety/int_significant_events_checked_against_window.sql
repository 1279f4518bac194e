{#
    Each SEA of a PCN's register with its completion deadline and whether it counts for PS05,
    as at the end of the register's month (the PCN's latest delivery).

    * Deadline: raised_date + significant_event_completion_days (dbt var, 90 by default; a
      local window, no national standard). Completed on the deadline day is in time, one day
      later is late.
    * is_completion_due: the SEA is completed, or open with its deadline before the
      register's month end. An SEA still open inside its window is not yet due: PS05 leaves it
      out until its window closes, so a recent month is not shown red for analyses not yet due.
    * practice_pcn_code: the PCN the practice belonged to in the month the SEA was raised
      (int_practices_joined_to_pcns_by_month), null when ODS has no membership for that month;
      pcn_code stays the PCN whose register it is.
#}
with

events as (

    select
        pcn_code,
        practice_code,
        significant_event_reference,
        theme,
        event_date,
        raised_date,
        completed_date,
        snapshot_month
    from {{ ref('stg_local__significant_events') }}

),

registers as (

    {{ log_covered_to_dates('events', 'status_as_of_date') }}

),

memberships as (

    select
        practice_code,
        pcn_code,
        month_start_date
    from {{ ref('int_practices_joined_to_pcns_by_month') }}

),

joined as (

    select
        events.pcn_code,
        memberships.pcn_code as practice_pcn_code,
        events.practice_code,
        events.significant_event_reference,
        events.theme,
        events.event_date,
        events.raised_date,
        events.completed_date,
        registers.status_as_of_date,
        cast({{ dbt.dateadd(
            'day', var('significant_event_completion_days'), 'events.raised_date'
        ) }} as date) as completion_deadline_date
    from events
    inner join registers
        on events.pcn_code = registers.pcn_code
    left join memberships
        on
            events.practice_code = memberships.practice_code
            and cast({{ dbt.date_trunc('month', 'events.raised_date') }} as date)
            = memberships.month_start_date

),

final as (

    select
        pcn_code,
        practice_pcn_code,
        practice_code,
        significant_event_reference,
        theme,
        event_date,
        raised_date,
        completed_date,
        completion_deadline_date,
        status_as_of_date,
        completed_date is not null as is_completed,
        coalesce(completed_date <= completion_deadline_date, false) as is_completed_in_window,
        completed_date is not null or completion_deadline_date < status_as_of_date
            as is_completion_due
    from joined

)

select * from final
