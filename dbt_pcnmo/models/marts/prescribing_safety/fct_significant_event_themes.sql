{#
    SEAs by theme per PCN and financial-year quarter, for the safety sheet's theme map.
    * PCN: the PCN whose SEA register it is (a practice that moved PCN stays in the register
      that logged the SEA).
    * Quarters: every quarter of dim_periods that ends on or before the end of the month of
      the PCN's latest register; a quarter the register does not yet cover fully has no rows.
    * Themes: every theme any register uses, so a theme with no SEAs in a quarter shows 0
      (the register was delivered and had nothing to count) rather than a gap.
    * events_raised: SEAs raised in the quarter; events_completed: of those, completed by the
      register's date (whenever completed); events_open: the rest, still open.
    No small-number suppression here: outputs apply it.
#}
with

events as (

    select * from {{ ref('int_significant_events_checked_against_window') }}

),

quarters as (

    select
        period_id,
        period_start,
        period_end
    from {{ ref('dim_periods') }}
    where period_type = 'quarter'

),

registers as (

    select distinct
        pcn_code,
        status_as_of_date
    from events

),

themes as (

    select distinct theme
    from events

),

spine as (

    select
        registers.pcn_code,
        quarters.period_id,
        quarters.period_start,
        quarters.period_end,
        themes.theme
    from registers
    inner join quarters
        on quarters.period_end <= registers.status_as_of_date
    cross join themes

),

counted as (

    select
        spine.pcn_code,
        spine.period_id,
        spine.theme,
        count(events.significant_event_reference) as events_raised,
        count(case when events.is_completed then 1 end) as events_completed
    from spine
    left join events
        on
            spine.pcn_code = events.pcn_code
            and spine.theme = events.theme
            and events.raised_date between spine.period_start and spine.period_end
    group by spine.pcn_code, spine.period_id, spine.theme

),

final as (

    select
        pcn_code,
        period_id,
        theme,
        cast(events_raised as bigint) as events_raised,
        cast(events_completed as bigint) as events_completed,
        cast(events_raised - events_completed as bigint) as events_open
    from counted

)

select * from final
