{#
    Targets from seed pcn_targets per practice and month: the SMR total (CA01, phased for CA02
    too), each DES priority cohort (DA03 to DA08) and each LTC titration clinic (CA06 to CA09,
    patients seen). One model phases every pcn_targets KPI, so the default, phasing and
    practice-share rules cannot drift apart between families.

    * The PCN's annual target is its row in seed pcn_targets when there is one. Otherwise it
      defaults to the PCN's average monthly base over the loaded months of the financial year
      times a default rate: for SMRs (no national target since April 2023) the base is the DES
      cohort (CA01) or the cohort's own count (DA03 to DA08) and the rate
      des_cohort_coverage_share in seed smr_planning_assumptions; for titration clinics the
      base is the registered list and the rate default_patients_seen_per_1000_registered / 1000
      in seed titration_clinic_assumptions.
    * Phasing is a straight line: each month carries one twelfth of the annual target.
    * A practice's share of a month's twelfth is its share of the PCN's base that month
      (membership by month, so a practice that moves PCN takes its share of each PCN's target
      for its months there); an empty PCN base splits the month evenly between practices.
      The practice shares add up to the PCN's twelfth, so a PCN's target is the sum of its
      practices' targets.
    Cohort sizes and list sizes are read from the cohort mart (fct_smr_cohort_monthly) rather
    than re-derived from int_patients_assigned_to_smr_cohorts, whose evaluation re-reads every
    medication issue. The model keeps its SMR name because CA01 and DA03 to DA08 read it.
#}
with

{# The default annual target per unit of the base, per target KPI. #}
default_rates as (

    select
        kpi_ids.target_kpi_id,
        assumptions.value as default_rate
    from {{ ref('smr_planning_assumptions') }} as assumptions
    inner join (
        {% for kpi_id in ['CA01', 'DA03', 'DA04', 'DA05', 'DA06', 'DA07', 'DA08'] %}
        select '{{ kpi_id }}' as target_kpi_id
        {% if not loop.last %}union all{% endif %}
        {% endfor %}
    ) as kpi_ids
        on assumptions.parameter = 'des_cohort_coverage_share'
    union all
    select
        kpi_id as target_kpi_id,
        default_patients_seen_per_1000_registered / 1000.0 as default_rate
    from {{ ref('titration_clinic_assumptions') }}

),

cohort_months as (

    select
        cohorts.practice_code,
        cohorts.pcn_code,
        cohorts.reporting_month as month_start_date,
        periods.financial_year,
        periods.month_number_in_financial_year,
        cohorts.registered_patients,
        cohorts.des_cohort_patients,
        cohorts.care_home_patients,
        cohorts.learning_disability_patients,
        cohorts.complex_polypharmacy_patients,
        cohorts.medication_harm_risk_patients,
        cohorts.severe_frailty_patients,
        cohorts.potentially_addictive_medicines_patients
    from {{ ref('fct_smr_cohort_monthly') }} as cohorts
    inner join {{ ref('dim_periods') }} as periods
        on cohorts.period_id = periods.period_id
    where cohorts.pcn_code is not null

),

{#- One row per practice x month x target KPI: the base each target is sized on. -#}
{%- set cohort_columns = {
    'CA01': 'des_cohort_patients',
    'DA03': 'care_home_patients',
    'DA04': 'learning_disability_patients',
    'DA05': 'complex_polypharmacy_patients',
    'DA06': 'medication_harm_risk_patients',
    'DA07': 'severe_frailty_patients',
    'DA08': 'potentially_addictive_medicines_patients',
    'CA06': 'registered_patients',
    'CA07': 'registered_patients',
    'CA08': 'registered_patients',
    'CA09': 'registered_patients',
} %}

unpivoted as (

    {% for kpi_id, column in cohort_columns.items() %}
    select
        practice_code,
        pcn_code,
        month_start_date,
        financial_year,
        month_number_in_financial_year,
        '{{ kpi_id }}' as target_kpi_id,
        {{ column }} as practice_cohort_patients
    from cohort_months
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

pcn_months as (

    select
        pcn_code,
        month_start_date,
        financial_year,
        target_kpi_id,
        sum(practice_cohort_patients) as pcn_cohort_patients,
        count(*) as pcn_practices
    from unpivoted
    group by pcn_code, month_start_date, financial_year, target_kpi_id

),

pcn_years as (

    select
        pcn_code,
        financial_year,
        target_kpi_id,
        avg(pcn_cohort_patients) as pcn_average_cohort_patients
    from pcn_months
    group by pcn_code, financial_year, target_kpi_id

),

annual_targets as (

    select
        pcn_years.pcn_code,
        pcn_years.financial_year,
        pcn_years.target_kpi_id,
        pcn_years.pcn_average_cohort_patients,
        coalesce(
            agreed.target_value,
            pcn_years.pcn_average_cohort_patients * default_rates.default_rate
        ) as pcn_annual_target,
        case when agreed.target_value is not null then 'agreed' else 'default' end
            as target_basis
    from pcn_years
    left join default_rates
        on pcn_years.target_kpi_id = default_rates.target_kpi_id
    left join {{ ref('pcn_targets') }} as agreed
        on
            pcn_years.pcn_code = agreed.pcn_code
            and pcn_years.financial_year = agreed.financial_year
            and pcn_years.target_kpi_id = agreed.kpi_id

),

final as (

    select
        {{ surrogate_key([
            'unpivoted.practice_code', 'unpivoted.month_start_date', 'unpivoted.target_kpi_id',
        ]) }} as practice_month_target_id,
        unpivoted.practice_code,
        unpivoted.pcn_code,
        unpivoted.month_start_date,
        unpivoted.financial_year,
        unpivoted.month_number_in_financial_year,
        unpivoted.target_kpi_id,
        unpivoted.practice_cohort_patients,
        pcn_months.pcn_cohort_patients,
        annual_targets.pcn_average_cohort_patients,
        annual_targets.pcn_annual_target,
        annual_targets.target_basis,
        case
            when pcn_months.pcn_cohort_patients > 0
                then 1.0 * unpivoted.practice_cohort_patients / pcn_months.pcn_cohort_patients
            else 1.0 / pcn_months.pcn_practices
        end as practice_share_of_pcn,
        annual_targets.pcn_annual_target / 12.0 as pcn_monthly_target
    from unpivoted
    inner join pcn_months
        on
            unpivoted.pcn_code = pcn_months.pcn_code
            and unpivoted.month_start_date = pcn_months.month_start_date
            and unpivoted.target_kpi_id = pcn_months.target_kpi_id
    inner join annual_targets
        on
            unpivoted.pcn_code = annual_targets.pcn_code
            and unpivoted.financial_year = annual_targets.financial_year
            and unpivoted.target_kpi_id = annual_targets.target_kpi_id

)

select
    *,
    pcn_monthly_target * practice_share_of_pcn as practice_monthly_target
from final
