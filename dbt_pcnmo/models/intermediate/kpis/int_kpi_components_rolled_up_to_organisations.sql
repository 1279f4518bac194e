{#
    The long spine of the KPI mart with each KPI's numerator and denominator: every practice
    and PCN that has an ODS membership in a month of the period, for every period the KPI's
    period_grain asks for, and every KPI in kpi_definitions (its reported_for column says
    whether practices get rows too).

    Each KPI family delivers its figures through one component model listed below (seed
    kpi_definitions.component_model names it for each KPI):
    * practice components have one row per period_id x practice_code x pcn_code x kpi_id with
      numerator, denominator and target_basis, pcn_code being the PCN the practice belonged
      to in the months counted (a practice that moved PCN within a period has a row per PCN).
      Practice rows sum them over the PCNs; PCN rows sum the numerators and the denominators
      of the practices that were members in each month (sum over sum, never a mean of
      practice ratios).
    * PCN components have one row per period_id x pcn_code x kpi_id, for sources that are
      PCN-wide (the ARRS workforce record).
    Sums are exact decimals (macro exact_decimal), so a PCN's figures do not depend on the
    order DuckDB adds its practices.
    data_status, the three kinds of empty: 'no data' where the component has no row for the
    organisation and period (the source was not delivered for it; numerator and denominator
    null); 'nothing due' where it has one but the denominator is 0 (the source was delivered
    and nothing fell due: no discharge to reconcile, no alert due, a target of 0); else 'ok'.
    A count (no denominator) with a row is 'ok'. practices_without_data counts, on a PCN row
    of a KPI practices report, the member practices (in any month of the period) whose own row
    is 'no data': the PCN's figure is the sum over the others.
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
        denominator,
        target_basis
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
        sum({{ exact_decimal('numerator') }}) as numerator,
        sum({{ exact_decimal('denominator') }}) as denominator,
        {{ combined_target_basis('target_basis') }} as target_basis
    from practice_components
    group by practice_code, period_id, kpi_id
    union all
    select
        'pcn' as org_type,
        pcn_code as org_code,
        period_id,
        kpi_id,
        sum({{ exact_decimal('numerator') }}) as numerator,
        sum({{ exact_decimal('denominator') }}) as denominator,
        {{ combined_target_basis('target_basis') }} as target_basis
    from practice_components
    group by pcn_code, period_id, kpi_id
    {% for model in pcn_component_models %}
    union all
    select
        'pcn' as org_type,
        pcn_code as org_code,
        period_id,
        kpi_id,
        {{ exact_decimal('numerator') }} as numerator,
        {{ exact_decimal('denominator') }} as denominator,
        target_basis
    from {{ ref(model) }}
    {% endfor %}

),

member_practices as (

    select distinct
        memberships.pcn_code,
        memberships.practice_code,
        kpi_periods.period_id,
        kpi_periods.kpi_id
    from kpi_periods
    inner join memberships
        on memberships.month_start_date between kpi_periods.period_start and kpi_periods.period_end
    where not kpi_periods.is_pcn_only

),

practices_without_data as (

    select
        member_practices.pcn_code,
        member_practices.period_id,
        member_practices.kpi_id,
        count(case when components.org_code is null then 1 end) as practices_without_data
    from member_practices
    left join components
        on
            components.org_type = 'practice'
            and member_practices.practice_code = components.org_code
            and member_practices.period_id = components.period_id
            and member_practices.kpi_id = components.kpi_id
    group by member_practices.pcn_code, member_practices.period_id, member_practices.kpi_id

),

final as (

    select
        organisation_periods.org_type,
        organisation_periods.org_code,
        organisation_periods.period_id,
        organisation_periods.kpi_id,
        components.numerator,
        components.denominator,
        components.target_basis,
        case
            when components.org_code is null then 'no data'
            when components.denominator = 0 then 'nothing due'
            else 'ok'
        end as data_status,
        cast(practices_without_data.practices_without_data as integer) as practices_without_data
    from organisation_periods
    left join components
        on
            organisation_periods.org_type = components.org_type
            and organisation_periods.org_code = components.org_code
            and organisation_periods.period_id = components.period_id
            and organisation_periods.kpi_id = components.kpi_id
    left join practices_without_data
        on
            organisation_periods.org_type = 'pcn'
            and organisation_periods.org_code = practices_without_data.pcn_code
            and organisation_periods.period_id = practices_without_data.period_id
            and organisation_periods.kpi_id = practices_without_data.kpi_id

)

select * from final
