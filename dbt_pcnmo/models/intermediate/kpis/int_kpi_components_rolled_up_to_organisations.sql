{#
    The long spine of the KPI mart with each KPI's numerator and denominator: every practice
    and PCN that has an ODS membership in a month of the period, for every period the KPI's
    period_grain (kpi_definitions) asks for, and every KPI implemented so far.

    * Practice rows sum the practice's SMR components over the PCNs it belonged to in the
      period (one, unless it moved PCN within it).
    * PCN rows sum the numerators and the denominators of the practices that were members in
      each month of the period (sum over sum, never a mean of practice ratios).
    * DA01 and DA02 come from the PCN-wide workforce record: PCN rows only.
    * data_status is 'no data' where the sources hold nothing for the organisation and period
      (no cohort snapshot for a practice's months, no workforce record for a PCN); the
      numerator and denominator are then null.
#}
{%- set practice_kpi_ids = ['CA01', 'CA02', 'DA03', 'DA04', 'DA05', 'DA06', 'DA07', 'DA08'] %}
{%- set pcn_only_kpi_ids = ['DA01', 'DA02'] %}

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
        kpi_id in ({{ "'" ~ pcn_only_kpi_ids | join("', '") ~ "'" }}) as is_pcn_only
    from {{ ref('kpi_definitions') }}
    where kpi_id in ({{ "'" ~ (practice_kpi_ids + pcn_only_kpi_ids) | join("', '") ~ "'" }})

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

smr_components as (

    select * from {{ ref('int_smr_kpis_aggregated_to_practice_periods') }}

),

components as (

    select
        'practice' as org_type,
        practice_code as org_code,
        period_id,
        kpi_id,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from smr_components
    group by practice_code, period_id, kpi_id
    union all
    select
        'pcn' as org_type,
        pcn_code as org_code,
        period_id,
        kpi_id,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from smr_components
    group by pcn_code, period_id, kpi_id
    union all
    select
        'pcn' as org_type,
        pcn_code as org_code,
        period_id,
        kpi_id,
        numerator,
        denominator
    from {{ ref('int_workforce_kpis_aggregated_to_pcn_periods') }}

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
