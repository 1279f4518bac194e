{#
    The long spine of the KPI mart with each KPI's numerator and denominator: every practice
    and PCN that has an ODS membership in a month of the period, for every period the KPI's
    period_grain asks for, and every KPI in kpi_definitions (its reported_for column says
    whether practices get rows too).

    Each KPI family delivers its figures through one component model listed below:
    * practice components have one row per period_id x practice_code x pcn_code x kpi_id with
      numerator and denominator, pcn_code being the PCN the practice belonged to in the months
      counted (a practice that moved PCN within a period has a row per PCN). Practice rows sum
      them over the PCNs; PCN rows sum the numerators and the denominators of the practices
      that were members in each month (sum over sum, never a mean of practice ratios).
    * PCN components have one row per period_id x pcn_code x kpi_id, for sources that are
      PCN-wide (the ARRS workforce record).
    data_status is 'no data' where the component has no row for the organisation and period
    (its sources hold nothing for it); the numerator and denominator are then null.
#}
{%- set practice_component_models = [
    'int_smr_kpis_aggregated_to_practice_periods',
    'int_titration_kpis_aggregated_to_practice_periods',
    'int_safety_kpis_aggregated_to_practice_periods',
    'int_cost_kpis_aggregated_to_practice_periods',
    'int_pincer_kpis_aggregated_to_practice_periods',
    'int_clinical_activity_kpis_aggregated_to_practice_periods',
] %}
{%- set pcn_component_models = [
    'int_workforce_kpis_aggregated_to_pcn_periods',
] %}

with

periods as (

    select
        period_id,
        period_type,
        period_start,
        period_end,
        month_number_in_financial_year
    from {{ ref('dim_periods') }}

),

kpis as (

    select
        kpi_id,
        period_grain,
        reported_for = 'pcn' as is_pcn_only
    from {{ ref('kpi_definitions') }}

),

kpi_periods as (

    select
        kpis.kpi_id,
        kpis.is_pcn_only,
        periods.period_id,
        periods.period_start,
        periods.period_end
    from kpis
    inner join periods
        on
            case kpis.period_grain
                when 'month' then periods.period_type = 'month'
                when 'month_quarter' then periods.period_type in ('month', 'quarter')
                when 'financial_year_to_date' then periods.period_type = 'financial_year_to_date'
                when 'month_quarter_fytd' then true
                when 'annual' then
                    periods.period_type = 'financial_year_to_date'
                    and periods.month_number_in_financial_year = 12
                else false
            end

),

memberships as (

    select
        practice_code,
        pcn_code,
        month_start_date
    from {{ ref('int_practices_joined_to_pcns_by_month') }}

),

organisation_periods as (

    select distinct
        'practice' as org_type,
        memberships.practice_code as org_code,
        kpi_periods.period_id,
        kpi_periods.kpi_id
    from kpi_periods
    inner join memberships
        on memberships.month_start_date between kpi_periods.period_start and kpi_periods.period_end
    where not kpi_periods.is_pcn_only
    union
    select distinct
        'pcn' as org_type,
        memberships.pcn_code as org_code,
        kpi_periods.period_id,
        kpi_periods.kpi_id
    from kpi_periods
    inner join memberships
        on memberships.month_start_date between kpi_periods.period_start and kpi_periods.period_end

),

practice_components as (

    {% for model in practice_component_models %}
    select
        period_id,
        practice_code,
        pcn_code,
        kpi_id,
        numerator,
        denominator
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

components as (

    select
        'practice' as org_type,
        practice_code as org_code,
        period_id,
        kpi_id,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from practice_components
    group by practice_code, period_id, kpi_id
    union all
    select
        'pcn' as org_type,
        pcn_code as org_code,
        period_id,
        kpi_id,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from practice_components
    group by pcn_code, period_id, kpi_id
    {% for model in pcn_component_models %}
    union all
    select
        'pcn' as org_type,
        pcn_code as org_code,
        period_id,
        kpi_id,
        numerator,
        denominator
    from {{ ref(model) }}
    {% endfor %}

),

final as (

    select
        organisation_periods.org_type,
        organisation_periods.org_code,
        organisation_periods.period_id,
        organisation_periods.kpi_id,
        components.numerator,
        components.denominator,
        case when components.org_code is null then 'no data' else 'ok' end as data_status
    from organisation_periods
    left join components
        on
            organisation_periods.org_type = components.org_type
            and organisation_periods.org_code = components.org_code
            and organisation_periods.period_id = components.period_id
            and organisation_periods.kpi_id = components.kpi_id

)

select * from final
