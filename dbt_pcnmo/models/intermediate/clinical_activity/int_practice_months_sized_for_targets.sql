{#
    The base each locally targeted KPI's target is sized and shared on (macro
    target_base_columns: the DES cohort for CA01, each cohort's own count for DA03 to DA08, the
    registered list for the titration clinics CA06 to CA09), per practice and month with a
    cohort snapshot (fct_smr_cohort_monthly), at the month end. Both target models read it:
    int_pcn_targets_fixed_to_financial_years sizes a PCN's default target on it, and
    int_smr_targets_phased_to_practice_months shares a target between practices by it.
#}
{%- set base_columns = target_base_columns() %}

with

cohort_months as (

    select
        cohorts.practice_code,
        cohorts.pcn_code,
        cohorts.reporting_month as month_start_date,
        periods.financial_year,
        periods.month_number_in_financial_year,
        {% for column in base_columns.values() | unique %}
        cohorts.{{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from {{ ref('fct_smr_cohort_monthly') }} as cohorts
    inner join {{ ref('dim_periods') }} as periods
        on cohorts.period_id = periods.period_id

),

final as (

    {% for kpi_id, column in base_columns.items() %}
    select
        practice_code,
        pcn_code,
        month_start_date,
        financial_year,
        month_number_in_financial_year,
        '{{ kpi_id }}' as target_kpi_id,
        {{ column }} as base_patients
    from cohort_months
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
