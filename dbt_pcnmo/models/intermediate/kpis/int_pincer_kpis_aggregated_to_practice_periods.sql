{#
    Numerators and denominators of the PINCER-based KPIs per practice, per PCN the practice
    belonged to in the months counted, and per reporting period (month, quarter, financial
    year to date), for the KPI rollup.

    * PS03 (PINCER hazards with intervention completed): the denominator counts hazard
      episodes (patient x indicator x run of consecutive flagged months,
      int_pincer_hazards_linked_to_actions) present in the period, i.e. found by any of its
      monthly searches, once each, so an unworked episode stays in every period it lasts; the
      numerator those of them worked by the period end (an action completed on or after the
      episode started and on or before the period end). Month, quarter (the headline period
      of the ICB return) and year to date use the same rule, so a hazard worked in May that
      recurs in September is a worked and an unworked episode in the year to date, and an
      unworked one in September and its quarter.
    * CA03 (HRD register patients with current monitoring): as at the period end (the
      period's last month, int_hrd_monitoring_assessed_to_patient_months): patients on the
      register, and those of them with every required test in its window.
    A row exists for every practice month with a patient snapshot and a PCN (numerator and
    denominator 0 where nobody qualifies), so a delivered extract never shows as 'no data'.
    A practice that moved PCN within a period has one row per PCN; each PCN counts the
    hazards found in its own months.
#}
with

periods as (

    select
        period_id,
        period_start,
        period_end
    from {{ ref('dim_periods') }}

),

practice_months as (

    select distinct
        patients.practice_code,
        memberships.pcn_code,
        patients.snapshot_month as month_start_date
    from {{ ref('stg_clinical__patients') }} as patients
    inner join {{ ref('int_practices_joined_to_pcns_by_month') }} as memberships
        on
            patients.practice_code = memberships.practice_code
            and patients.snapshot_month = memberships.month_start_date

),

practice_periods as (

    select
        periods.period_id,
        periods.period_start,
        periods.period_end,
        practice_months.practice_code,
        practice_months.pcn_code,
        max(practice_months.month_start_date) as last_month_start_date
    from practice_months
    inner join periods
        on practice_months.month_start_date between periods.period_start and periods.period_end
    group by
        periods.period_id,
        periods.period_start,
        periods.period_end,
        practice_months.practice_code,
        practice_months.pcn_code

),

{#- The episodes present in each practice period: those found in its months (with the PCN
    of each month). A hazard is found in a patient snapshot month, so the practice months
    hold every month a hazard was found in. #}
hazard_periods as (

    select
        practice_periods.period_id,
        practice_periods.practice_code,
        practice_periods.pcn_code,
        hazards.patient_id,
        hazards.pincer_indicator,
        hazards.episode_start_date,
        max(case when hazards.first_actioned_date <= practice_periods.period_end then 1 else 0 end)
            as is_actioned
    from practice_periods
    inner join practice_months
        on
            practice_periods.practice_code = practice_months.practice_code
            and practice_periods.pcn_code = practice_months.pcn_code
            and practice_months.month_start_date between practice_periods.period_start and practice_periods.period_end
    inner join {{ ref('int_pincer_hazards_linked_to_actions') }} as hazards
        on
            practice_months.practice_code = hazards.practice_code
            and practice_months.month_start_date = hazards.month_start_date
    group by
        practice_periods.period_id,
        practice_periods.practice_code,
        practice_periods.pcn_code,
        hazards.patient_id,
        hazards.pincer_indicator,
        hazards.episode_start_date

),

ps03 as (

    select
        practice_periods.period_id,
        practice_periods.practice_code,
        practice_periods.pcn_code,
        'PS03' as kpi_id,
        coalesce(sum(hazard_periods.is_actioned), 0) as numerator,
        count(hazard_periods.patient_id) as denominator
    from practice_periods
    left join hazard_periods
        on
            practice_periods.period_id = hazard_periods.period_id
            and practice_periods.practice_code = hazard_periods.practice_code
            and practice_periods.pcn_code = hazard_periods.pcn_code
    group by practice_periods.period_id, practice_periods.practice_code, practice_periods.pcn_code

),

{#- CA03 is a snapshot at the period end: only the period's last month counts, and only
    for the PCN the practice belonged to that month. #}
ca03 as (

    select
        practice_periods.period_id,
        practice_periods.practice_code,
        practice_periods.pcn_code,
        'CA03' as kpi_id,
        coalesce(sum(case when monitoring.is_monitored then 1 else 0 end), 0) as numerator,
        count(monitoring.patient_id) as denominator
    from practice_periods
    left join {{ ref('int_hrd_monitoring_assessed_to_patient_months') }} as monitoring
        on
            practice_periods.practice_code = monitoring.practice_code
            and practice_periods.last_month_start_date = monitoring.month_start_date
    where practice_periods.last_month_start_date = cast({{ dbt.date_trunc('month', 'practice_periods.period_end') }} as date)
    group by practice_periods.period_id, practice_periods.practice_code, practice_periods.pcn_code

),

final as (

    {{ practice_kpi_components(['ps03', 'ca03']) }}

)

select * from final
