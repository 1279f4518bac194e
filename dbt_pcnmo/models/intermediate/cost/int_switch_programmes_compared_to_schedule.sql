{#
    Each switch programme x practice against its straight-line schedule, per reporting period,
    from the latest monthly log whose as_at_date falls in the period (a quarter or year to date
    reads its last month's log).

    * expected_switched = patients planned x the share of the schedule elapsed at as_at_date:
      (as_at_date - start_date) / (planned_end_date - start_date), floored at 0 (a programme
      not started yet expects nobody) and capped at 1 (past its planned end, everyone). A
      programme whose planned end is not after its start expects everyone from its start.
    * switched = patients switched as at the same date, so numerator and denominator describe
      the same day.
    * A period with no log dated in it has no row (the mart shows 'no data'), rather than
      carrying an older log forward.
    * The practice's PCN is its ePCN membership in the month of as_at_date.
#}
with

periods as (

    select
        period_id,
        period_start,
        period_end
    from {{ ref('dim_periods') }}

),

logs as (

    select
        programme_code,
        practice_code,
        start_date,
        planned_end_date,
        as_at_date,
        planned_patient_count,
        switched_patient_count
    from {{ ref('stg_local__switch_programmes') }}
    where as_at_date is not null

),

latest_in_period as (

    select
        periods.period_id,
        logs.*,
        row_number() over (
            partition by periods.period_id, logs.programme_code, logs.practice_code
            order by logs.as_at_date desc
        ) as log_rank
    from logs
    inner join periods
        on logs.as_at_date between periods.period_start and periods.period_end

),

scheduled as (

    select
        period_id,
        programme_code,
        practice_code,
        start_date,
        planned_end_date,
        as_at_date,
        planned_patient_count,
        switched_patient_count,
        case
            when as_at_date < start_date then 0.0
            when as_at_date >= planned_end_date then 1.0
            else
                1.0 * {{ dbt.datediff('start_date', 'as_at_date', 'day') }}
                / {{ dbt.datediff('start_date', 'planned_end_date', 'day') }}
        end as schedule_elapsed_share
    from latest_in_period
    where log_rank = 1

),

memberships as (

    select
        practice_code,
        month_start_date,
        pcn_code
    from {{ ref('int_practices_joined_to_pcns_by_month') }}

),

final as (

    select
        scheduled.period_id,
        scheduled.programme_code,
        scheduled.practice_code,
        memberships.pcn_code,
        scheduled.start_date,
        scheduled.planned_end_date,
        scheduled.as_at_date,
        scheduled.planned_patient_count,
        scheduled.switched_patient_count,
        scheduled.schedule_elapsed_share,
        scheduled.planned_patient_count * scheduled.schedule_elapsed_share
            as expected_switched_count,
        scheduled.switched_patient_count
        >= scheduled.planned_patient_count * scheduled.schedule_elapsed_share
            as is_on_schedule
    from scheduled
    left join memberships
        on
            scheduled.practice_code = memberships.practice_code
            and cast({{ dbt.date_trunc('month', 'scheduled.as_at_date') }} as date)
            = memberships.month_start_date

)

select * from final
