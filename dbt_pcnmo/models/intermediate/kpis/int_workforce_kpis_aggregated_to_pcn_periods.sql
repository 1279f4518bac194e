{#
    DES assurance KPIs on the PCN's ARRS workforce, as at the end of each reporting period.
    Workforce is PCN-wide, so these are PCN figures only.

    * Denominator (DA01 and DA02): ARRS-funded staff in post at the period end: start_date on
      or before it and no end_date before it (someone leaving on the last day still counts).
    * DA01 numerator: a clinical supervision session dated in the supervision_interval_days
      days up to the period end: a session exactly that many days before is current, one day
      more is not. No agreed interval, or no session, counts as not current.
    * DA02 numerator: scope of practice signed on or before the period end and its review date
      not passed (on or after the period end).
    stg_local__staff holds each PCN's latest workforce record, so past periods are read from
    today's start, end and scope dates: a scope renewed since then shows its new dates.
    A period that ends after the month of the PCN's latest supervision log (DA01) or workforce
    record (DA02) gets no row, so the mart shows it as 'no data' rather than as 0% current
    (sessions held but not yet reported are not missing supervision).
#}
with

periods as (

    select
        period_id,
        period_end
    from {{ ref('dim_periods') }}

),

staff as (

    select
        pcn_code,
        staff_id,
        start_date,
        end_date,
        supervision_interval_days,
        scope_of_practice_signed_date,
        scope_of_practice_review_date
    from {{ ref('stg_local__staff') }}
    where is_arrs_funded

),

clinical_sessions as (

    select
        pcn_code,
        staff_id,
        supervision_date
    from {{ ref('stg_local__supervision_sessions') }}
    where supervision_type = 'clinical'

),

staff_records as (

    {{ log_covered_to_dates(ref('stg_local__staff')) }}

),

supervision_logs as (

    {{ log_covered_to_dates(ref('stg_local__supervision_sessions')) }}

),

pcn_periods as (

    select
        staff_records.pcn_code,
        periods.period_id,
        periods.period_end,
        staff_records.covered_to_date as staff_covered_to_date,
        supervision_logs.covered_to_date as supervision_covered_to_date
    from staff_records
    cross join periods
    left join supervision_logs
        on staff_records.pcn_code = supervision_logs.pcn_code

),

in_post as (

    select
        pcn_periods.pcn_code,
        pcn_periods.period_id,
        pcn_periods.period_end,
        staff.staff_id,
        staff.supervision_interval_days,
        staff.scope_of_practice_signed_date,
        staff.scope_of_practice_review_date
    from pcn_periods
    inner join staff
        on
            pcn_periods.pcn_code = staff.pcn_code
            and {{ is_in_post_on('staff', 'pcn_periods.period_end') }}

),

supervised as (

    select distinct
        in_post.pcn_code,
        in_post.period_id,
        in_post.staff_id
    from in_post
    inner join clinical_sessions
        on
            in_post.pcn_code = clinical_sessions.pcn_code
            and in_post.staff_id = clinical_sessions.staff_id
            and clinical_sessions.supervision_date <= in_post.period_end
            and clinical_sessions.supervision_date >= {{ dbt.dateadd(
                'day', '-1 * in_post.supervision_interval_days', 'in_post.period_end'
            ) }}

),

staff_flags as (

    select
        in_post.pcn_code,
        in_post.period_id,
        in_post.staff_id,
        supervised.staff_id is not null as has_current_supervision,
        coalesce(
            in_post.scope_of_practice_signed_date <= in_post.period_end
            and in_post.scope_of_practice_review_date >= in_post.period_end,
            false
        ) as has_current_scope_of_practice
    from in_post
    left join supervised
        on
            in_post.pcn_code = supervised.pcn_code
            and in_post.period_id = supervised.period_id
            and in_post.staff_id = supervised.staff_id

),

counted as (

    select
        pcn_periods.pcn_code,
        pcn_periods.period_id,
        pcn_periods.period_end,
        pcn_periods.staff_covered_to_date,
        pcn_periods.supervision_covered_to_date,
        count(staff_flags.staff_id) as staff_in_post,
        sum(case when staff_flags.has_current_supervision then 1 else 0 end) as supervised_staff,
        sum(case when staff_flags.has_current_scope_of_practice then 1 else 0 end)
            as scoped_staff
    from pcn_periods
    left join staff_flags
        on
            pcn_periods.pcn_code = staff_flags.pcn_code
            and pcn_periods.period_id = staff_flags.period_id
    group by
        pcn_periods.pcn_code,
        pcn_periods.period_id,
        pcn_periods.period_end,
        pcn_periods.staff_covered_to_date,
        pcn_periods.supervision_covered_to_date

),

final as (

    select
        pcn_code,
        period_id,
        'DA01' as kpi_id,
        coalesce(supervised_staff, 0) as numerator,
        staff_in_post as denominator,
        cast(null as varchar) as target_basis
    from counted
    where period_end <= supervision_covered_to_date
    union all
    select
        pcn_code,
        period_id,
        'DA02' as kpi_id,
        coalesce(scoped_staff, 0) as numerator,
        staff_in_post as denominator,
        cast(null as varchar) as target_basis
    from counted
    where period_end <= staff_covered_to_date

)

select * from final
