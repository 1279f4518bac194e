{#
    Numerators and denominators of the prescribing safety KPIs from the PCN's safety logs,
    per practice, per PCN the practice belonged to in the months counted (ODS), and per
    reporting period. Each log is the whole log to date (staging keeps the latest delivery),
    so a practice's period is covered when it ends on or before the end of the month of the
    latest log its PCN delivered; an uncovered period has no row ('no data' in the mart), a
    covered period with nothing to count has numerator 0.

    * PS01 (NatPSA, MHRA Class 1 and 2) and PS02 (Class 3 and 4), closure_kpi_id in seed
      alert_class_windows, counted by deadline (int_safety_alerts_checked_against_windows
      gives each applicable or untriaged alert x practice row its deadline). Denominator:
      the rows whose deadline fell in the period, plus those still open past their deadline
      at the period's start (not closed before its first day: one closed on the first day
      was still open at its start). Numerator: those closed on or before their deadline. So
      the month an alert goes overdue is never 100%, and it counts against every later
      period until it is closed; an alert not yet due is in no denominator, and a month,
      quarter or year to date is counted the same way. A row counts in the PCN the practice
      belonged to in the month of its deadline, or in the period's first month when carried
      in overdue. Not applicable rows are in neither.
    * PS04: SEAs raised in the period (a count: denominator null).
    * PS05: SEAs raised in the period whose completion is due (completed, or open past the
      window; int_significant_events_checked_against_window); numerator: completed within it.
    * PS06, PS07: incidents reported in the period (PS07: harm level moderate harm, severe
      harm or fatal) over patient-years of registration: for each month, the practice's
      registered list size (stg_nhsd__list_sizes, all sexes and ages) / 12, summed over the
      period's months. fct_kpi_values multiplies by 10,000, so the value is incidents per
      10,000 patients per year for a month, a quarter or a year to date alike, and a PCN's
      value (sum over sum) is its patient-weighted rate. Only months with a list size count
      (numerator and denominator alike). A practice that moved PCN in the period has a row
      per PCN, each with its own months' incidents and patient-years.
    * PS08: the practice's latest safety culture audit dated in the 12 months up to the
      period end (an annual audit stays current for a year), score over maximum score
      (PCN: sum over practices); the PCN is the practice's PCN in the period's last month.
      No audit in those 12 months: no row (missing, not 0).
#}
{%- set incident_harm_levels_counted_in_ps07 = ['moderate_harm', 'severe_harm', 'fatal'] %}

with

periods as (

    select
        period_id,
        period_start,
        period_end
    from {{ ref('dim_periods') }}

),

memberships as (

    select
        practice_code,
        pcn_code,
        month_start_date,
        month_end_date
    from {{ ref('int_practices_joined_to_pcns_by_month') }}

),

log_coverage as (

    {% for log_name, model in [
        ('safety_alerts', 'stg_local__safety_alerts'),
        ('significant_events', 'stg_local__significant_events'),
        ('safety_incidents', 'stg_local__safety_incidents'),
        ('safety_culture_audits', 'stg_local__safety_culture_audits'),
    ] %}
    select
        '{{ log_name }}' as log_name,
        coverage.pcn_code,
        coverage.covered_to_date
    from ({{ log_covered_to_dates(ref(model)) }}) as coverage
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

covered_months as (

    select
        log_coverage.log_name,
        memberships.practice_code,
        memberships.pcn_code,
        memberships.month_start_date,
        log_coverage.covered_to_date
    from memberships
    inner join log_coverage
        on
            memberships.pcn_code = log_coverage.pcn_code
            and memberships.month_end_date <= log_coverage.covered_to_date

),

alert_rows as (

    select
        practice_code,
        closure_kpi_id as kpi_id,
        deadline_date,
        closed_date
    from {{ ref('int_safety_alerts_checked_against_windows') }}
    where status != 'not_applicable'

),

alerts_counted_in_periods as (

    select
        periods.period_id,
        alert_rows.practice_code,
        alert_rows.kpi_id,
        case
            when alert_rows.deadline_date >= periods.period_start
                then cast({{ dbt.date_trunc('month', 'alert_rows.deadline_date') }} as date)
            else periods.period_start
        end as counted_month_start_date,
        case
            when
                alert_rows.deadline_date >= periods.period_start
                and alert_rows.closed_date <= alert_rows.deadline_date
                then 1
            else 0
        end as is_closed_by_deadline
    from alert_rows
    inner join periods
        on
            alert_rows.deadline_date <= periods.period_end
            and (
                alert_rows.deadline_date >= periods.period_start
                or alert_rows.closed_date is null
                or alert_rows.closed_date >= periods.period_start
            )

),

alert_period_practices as (

    select distinct
        periods.period_id,
        covered_months.practice_code,
        covered_months.pcn_code,
        kpi_ids.kpi_id
    from covered_months
    inner join periods
        on covered_months.month_start_date between periods.period_start and periods.period_end
    cross join (
        select 'PS01' as kpi_id
        union all
        select 'PS02' as kpi_id
    ) as kpi_ids
    where
        covered_months.log_name = 'safety_alerts'
        and periods.period_end <= covered_months.covered_to_date

),

alert_counts as (

    select
        alerts_counted_in_periods.period_id,
        alerts_counted_in_periods.practice_code,
        covered_months.pcn_code,
        alerts_counted_in_periods.kpi_id,
        sum(alerts_counted_in_periods.is_closed_by_deadline) as numerator,
        count(*) as denominator
    from alerts_counted_in_periods
    inner join covered_months
        on
            covered_months.log_name = 'safety_alerts'
            and alerts_counted_in_periods.practice_code = covered_months.practice_code
            and alerts_counted_in_periods.counted_month_start_date = covered_months.month_start_date
    group by
        alerts_counted_in_periods.period_id,
        alerts_counted_in_periods.practice_code,
        covered_months.pcn_code,
        alerts_counted_in_periods.kpi_id

),

alert_periods as (

    select
        alert_period_practices.period_id,
        alert_period_practices.practice_code,
        alert_period_practices.pcn_code,
        alert_period_practices.kpi_id,
        coalesce(alert_counts.numerator, 0) as numerator,
        coalesce(alert_counts.denominator, 0) as denominator
    from alert_period_practices
    left join alert_counts
        on
            alert_period_practices.period_id = alert_counts.period_id
            and alert_period_practices.practice_code = alert_counts.practice_code
            and alert_period_practices.pcn_code = alert_counts.pcn_code
            and alert_period_practices.kpi_id = alert_counts.kpi_id

),

event_months as (

    select
        practice_code,
        cast({{ dbt.date_trunc('month', 'raised_date') }} as date) as month_start_date,
        count(*) as events_raised,
        count(case when is_completion_due and is_completed_in_window then 1 end)
            as events_completed_in_window,
        count(case when is_completion_due then 1 end) as events_completion_due
    from {{ ref('int_significant_events_checked_against_window') }}
    group by 1, 2

),

incident_months as (

    select
        practice_code,
        cast({{ dbt.date_trunc('month', 'reported_date') }} as date) as month_start_date,
        count(*) as incidents,
        count(
            case
                when harm_level in ('{{ incident_harm_levels_counted_in_ps07 | join("', '") }}')
                    then 1
            end
        ) as harmful_incidents
    from {{ ref('stg_local__safety_incidents') }}
    group by 1, 2

),

list_size_months as (

    select
        practice_code,
        extract_month as month_start_date,
        sum(number_of_patients) / 12.0 as patient_years
    from {{ ref('stg_nhsd__list_sizes') }}
    where sex = 'ALL' and age_band = 'ALL'
    group by 1, 2

),

month_components as (

    select
        covered_months.practice_code,
        covered_months.pcn_code,
        covered_months.month_start_date,
        covered_months.covered_to_date,
        kpi_ids.kpi_id,
        case kpi_ids.kpi_id
            when 'PS04' then coalesce(event_months.events_raised, 0)
            else coalesce(event_months.events_completed_in_window, 0)
        end as numerator,
        case kpi_ids.kpi_id
            when 'PS05' then coalesce(event_months.events_completion_due, 0)
        end as denominator
    from covered_months
    cross join (
        select 'PS04' as kpi_id
        union all
        select 'PS05' as kpi_id
    ) as kpi_ids
    left join event_months
        on
            covered_months.practice_code = event_months.practice_code
            and covered_months.month_start_date = event_months.month_start_date
    where covered_months.log_name = 'significant_events'

    union all

    select
        covered_months.practice_code,
        covered_months.pcn_code,
        covered_months.month_start_date,
        covered_months.covered_to_date,
        kpi_ids.kpi_id,
        case kpi_ids.kpi_id
            when 'PS06' then coalesce(incident_months.incidents, 0)
            else coalesce(incident_months.harmful_incidents, 0)
        end as numerator,
        list_size_months.patient_years as denominator
    from covered_months
    inner join list_size_months
        on
            covered_months.practice_code = list_size_months.practice_code
            and covered_months.month_start_date = list_size_months.month_start_date
    cross join (
        select 'PS06' as kpi_id
        union all
        select 'PS07' as kpi_id
    ) as kpi_ids
    left join incident_months
        on
            covered_months.practice_code = incident_months.practice_code
            and covered_months.month_start_date = incident_months.month_start_date
    where covered_months.log_name = 'safety_incidents'

),

period_components as (

    select
        periods.period_id,
        month_components.practice_code,
        month_components.pcn_code,
        month_components.kpi_id,
        sum(month_components.numerator) as numerator,
        sum({{ exact_decimal('month_components.denominator') }}) as denominator
    from month_components
    inner join periods
        on month_components.month_start_date between periods.period_start and periods.period_end
    where periods.period_end <= month_components.covered_to_date
    group by
        periods.period_id,
        month_components.practice_code,
        month_components.pcn_code,
        month_components.kpi_id

),

audits as (

    select
        practice_code,
        audit_date,
        audit_tool,
        score,
        maximum_score
    from {{ ref('stg_local__safety_culture_audits') }}

),

audit_periods as (

    select
        periods.period_id,
        covered_months.practice_code,
        covered_months.pcn_code,
        audits.score,
        audits.maximum_score,
        row_number() over (
            partition by periods.period_id, covered_months.practice_code
            order by audits.audit_date desc, audits.audit_tool
        ) as audit_rank
    from periods
    inner join covered_months
        on
            covered_months.log_name = 'safety_culture_audits'
            and covered_months.month_start_date
            = cast({{ dbt.date_trunc('month', 'periods.period_end') }} as date)
            and periods.period_end <= covered_months.covered_to_date
    inner join audits
        on
            covered_months.practice_code = audits.practice_code
            and audits.audit_date <= periods.period_end
            and audits.audit_date > cast({{ dbt.dateadd('year', -1, 'periods.period_end') }} as date)

),

audit_components as (

    select
        period_id,
        practice_code,
        pcn_code,
        'PS08' as kpi_id,
        score as numerator,
        maximum_score as denominator
    from audit_periods
    where audit_rank = 1

),

final as (

    {{ practice_kpi_components(['period_components', 'alert_periods', 'audit_components']) }}

)

select * from final
