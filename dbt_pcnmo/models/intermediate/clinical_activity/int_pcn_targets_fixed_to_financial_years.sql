{#
    Each PCN's annual target for every locally targeted KPI (macro target_base_columns:
    CA01 for all SMRs, DA03 to DA08 per DES cohort, CA06 to CA09 per titration clinic),
    fixed once per financial year and stored with its derivation, so loading a later month
    never moves a target, or the RAG of a month already reported.

    * Base month: the year's first month with a cohort snapshot for any of the PCN's member
      practices. Base: the target's base (int_practice_months_sized_for_targets: the DES
      cohort, the cohort's own count, or the registered list) at the end of that month, summed
      over the practices that were members that month.
    * Annual target: the PCN's row in seed pcn_targets for the year and KPI (target_basis
      'agreed'), else the default (target_basis 'default'): base x default_rate, where the rate
      is des_cohort_coverage_share in seed smr_planning_assumptions for SMRs (no national SMR
      target since April 2023) and default_patients_seen_per_1000_registered / 1000 in seed
      titration_clinic_assumptions for the clinics.
    int_smr_targets_phased_to_practice_months phases it in twelfths and shares it between
    practices by their part of the same base.
#}
{%- set base_columns = target_base_columns() %}

with

default_rates as (

    select
        kpi_ids.target_kpi_id,
        assumptions.value as default_rate,
        'smr_planning_assumptions.des_cohort_coverage_share' as default_rate_source
    from {{ ref('smr_planning_assumptions') }} as assumptions
    inner join (
        {% for kpi_id, column in base_columns.items() if column != 'registered_patients' %}
        select '{{ kpi_id }}' as target_kpi_id
        {% if not loop.last %}union all{% endif %}
        {% endfor %}
    ) as kpi_ids
        on assumptions.parameter = 'des_cohort_coverage_share'
    union all
    select
        kpi_id as target_kpi_id,
        default_patients_seen_per_1000_registered / 1000.0 as default_rate,
        'titration_clinic_assumptions.default_patients_seen_per_1000_registered / 1000'
            as default_rate_source
    from {{ ref('titration_clinic_assumptions') }}

),

bases_by_month as (

    select
        pcn_code,
        month_start_date,
        financial_year,
        target_kpi_id,
        base_patients
    from {{ ref('int_practice_months_sized_for_targets') }}
    where pcn_code is not null

),

base_months as (

    select
        pcn_code,
        financial_year,
        min(month_start_date) as base_month_start_date
    from bases_by_month
    group by pcn_code, financial_year

),

bases as (

    select
        base_months.pcn_code,
        base_months.financial_year,
        bases_by_month.target_kpi_id,
        base_months.base_month_start_date,
        sum(bases_by_month.base_patients) as base_patients,
        count(*) as base_practices
    from base_months
    inner join bases_by_month
        on
            base_months.pcn_code = bases_by_month.pcn_code
            and base_months.base_month_start_date = bases_by_month.month_start_date
    group by
        base_months.pcn_code,
        base_months.financial_year,
        bases_by_month.target_kpi_id,
        base_months.base_month_start_date

),

final as (

    select
        {{ surrogate_key(['bases.pcn_code', 'bases.financial_year', 'bases.target_kpi_id']) }}
            as pcn_year_target_id,
        bases.pcn_code,
        bases.financial_year,
        bases.target_kpi_id,
        bases.base_month_start_date,
        cast(bases.base_patients as integer) as base_patients,
        cast(bases.base_practices as integer) as base_practices,
        default_rates.default_rate,
        default_rates.default_rate_source,
        bases.base_patients * default_rates.default_rate as default_annual_target,
        agreed.target_value as agreed_annual_target,
        coalesce(agreed.target_value, bases.base_patients * default_rates.default_rate)
            as annual_target,
        case when agreed.target_value is not null then 'agreed' else 'default' end as target_basis
    from bases
    left join default_rates
        on bases.target_kpi_id = default_rates.target_kpi_id
    left join {{ ref('pcn_targets') }} as agreed
        on
            bases.pcn_code = agreed.pcn_code
            and bases.financial_year = agreed.financial_year
            and bases.target_kpi_id = agreed.kpi_id

)

select * from final
