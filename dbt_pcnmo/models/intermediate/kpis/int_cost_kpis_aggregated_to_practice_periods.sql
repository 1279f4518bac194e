{#
    Numerators and denominators of the cost KPIs per practice, per PCN the practice belonged
    to in the months counted, and per reporting period: the one component the KPI rollup
    reads for the cost family.

    * CO01 cost per ASTRO-PU: actual cost (pounds) over ASTRO-PU(cost), both summed (exact
      decimals) over the practice's months in the period that have EPD rows and a list size
      (int_prescribing_costs_joined_to_astro_pu_by_month, is_costed); a practice month with
      a list size but no EPD rows in a delivered EPD month is missing, not free, so a period
      made only of such months has no row ('no data' in the mart) and the PCN's row sums its
      other practices. The rollup's PCN row is then the PCN's sum over sum, equal to
      fct_prescribing_cost.
    * CO02 cost against the ICB peer median: actual cost over (the median CO01 of the PCNs of
      the ICB for the period x ASTRO-PU), i.e. over what the same weighted population would
      cost at the median PCN's rate. Practice rows use the same PCN median, not the median
      of practices: only one benchmark lets the practices' numerators and denominators add up
      to their PCN's (sum of cost over median x sum of ASTRO-PU = the PCN's CO01 / median),
      and the practice breakdown then shows which practices put the PCN above it. The median
      of practices is in fct_prescribing_cost and is the practices' peer comparator.
    * CO03 formulary first line on new starts: new starts on a first-line choice over new
      starts (int_medication_issues_classified_to_new_starts), in practice months with a
      clinical extract whose extracts reach back the full lookback; such a month without new
      starts is 0 of 0.
    * CO04 switch programmes against schedule: patients switched over patients expected by
      the straight-line schedule, summed over programmes, from the period's latest log
      (int_switch_programmes_compared_to_schedule).
    Only practice months with an ePCN membership count (the rollup reports practices and PCNs
    with memberships). A period without the source has no row, so the mart says 'no data'.
#}
{%- set lookback_months = var('formulary_new_start_lookback_months') %}

with

periods as (

    select
        period_id,
        period_start,
        period_end
    from {{ ref('dim_periods') }}

),

cost_months as (

    select
        practice_code,
        pcn_code,
        month_start_date,
        actual_cost,
        astro_pu_cost
    from {{ ref('int_prescribing_costs_joined_to_astro_pu_by_month') }}
    where
        is_costed
        and pcn_code is not null

),

cost_periods as (

    select
        periods.period_id,
        cost_months.practice_code,
        cost_months.pcn_code,
        sum(cost_months.actual_cost) as actual_cost,
        sum(cost_months.astro_pu_cost) as astro_pu_cost
    from cost_months
    inner join periods
        on cost_months.month_start_date between periods.period_start and periods.period_end
    group by periods.period_id, cost_months.practice_code, cost_months.pcn_code

),

pcn_medians as (

    select
        period_id,
        org_code as pcn_code,
        peer_median_cost_per_astro_pu
    from {{ ref('fct_prescribing_cost') }}
    where org_type = 'pcn'

),

new_start_months as (

    {#- practice months with a clinical extract reaching back the full lookback -#}
    select
        extract_months.practice_code,
        extract_months.month_start_date
    from (
        select distinct
            practice_code,
            snapshot_month as month_start_date
        from {{ ref('stg_clinical__patients') }}
    ) as extract_months
    inner join (
        select
            practice_code,
            min(snapshot_month) as first_extract_month
        from {{ ref('stg_clinical__patients') }}
        group by practice_code
    ) as coverage
        on extract_months.practice_code = coverage.practice_code
    where
        coverage.first_extract_month
        <= cast({{ dbt.dateadd(
            'month', -1 * lookback_months, 'extract_months.month_start_date'
        ) }} as date)

),

new_starts as (

    select
        practice_code,
        start_month,
        count(*) as new_starts,
        sum(case when is_first_line then 1 else 0 end) as first_line_new_starts
    from {{ ref('int_medication_issues_classified_to_new_starts') }}
    group by practice_code, start_month

),

memberships as (

    select
        practice_code,
        month_start_date,
        pcn_code
    from {{ ref('int_practices_joined_to_pcns_by_month') }}

),

new_start_periods as (

    select
        periods.period_id,
        new_start_months.practice_code,
        memberships.pcn_code,
        sum(coalesce(new_starts.first_line_new_starts, 0)) as first_line_new_starts,
        sum(coalesce(new_starts.new_starts, 0)) as new_starts
    from new_start_months
    inner join memberships
        on
            new_start_months.practice_code = memberships.practice_code
            and new_start_months.month_start_date = memberships.month_start_date
    inner join periods
        on new_start_months.month_start_date between periods.period_start and periods.period_end
    left join new_starts
        on
            new_start_months.practice_code = new_starts.practice_code
            and new_start_months.month_start_date = new_starts.start_month
    group by periods.period_id, new_start_months.practice_code, memberships.pcn_code

),

switch_periods as (

    select
        period_id,
        practice_code,
        pcn_code,
        sum(switched_patient_count) as switched,
        sum({{ exact_decimal('expected_switched_count') }}) as expected
    from {{ ref('int_switch_programmes_compared_to_schedule') }}
    where pcn_code is not null
    group by period_id, practice_code, pcn_code

),

unioned as (

    select
        period_id,
        practice_code,
        pcn_code,
        'CO01' as kpi_id,
        actual_cost as numerator,
        astro_pu_cost as denominator
    from cost_periods
    union all
    select
        cost_periods.period_id,
        cost_periods.practice_code,
        cost_periods.pcn_code,
        'CO02' as kpi_id,
        cost_periods.actual_cost as numerator,
        pcn_medians.peer_median_cost_per_astro_pu * cost_periods.astro_pu_cost as denominator
    from cost_periods
    inner join pcn_medians
        on
            cost_periods.period_id = pcn_medians.period_id
            and cost_periods.pcn_code = pcn_medians.pcn_code
    where pcn_medians.peer_median_cost_per_astro_pu is not null
    union all
    select
        period_id,
        practice_code,
        pcn_code,
        'CO03' as kpi_id,
        first_line_new_starts as numerator,
        new_starts as denominator
    from new_start_periods
    union all
    select
        period_id,
        practice_code,
        pcn_code,
        'CO04' as kpi_id,
        switched as numerator,
        expected as denominator
    from switch_periods

),

final as (

    {{ practice_kpi_components(['unioned']) }}

)

select * from final
