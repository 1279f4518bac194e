{#
    Targets per practice and month for every locally targeted KPI: the SMR total (CA01,
    phased for CA02 too), each DES priority cohort (DA03 to DA08) and each LTC titration
    clinic (CA06 to CA09, patients seen). One model phases every target, so the phasing and
    practice-share rules cannot drift apart between families.

    * The PCN's annual target is fixed once a financial year
      (int_pcn_targets_fixed_to_financial_years: agreed in seed pcn_targets, else the default
      sized on the year's first loaded month).
    * Phasing is a straight line: each month carries one twelfth of the annual target.
    * A practice's share is fixed with it: the practice's base
      (int_practice_months_sized_for_targets: DES cohort, cohort count, or registered list)
      at the end of the PCN's base month over the PCN's base that month. A practice that
      joins the PCN later brings its base from
      that month (or, without a snapshot then, from its own first loaded month of the year);
      one that leaves takes its share with it. For a default target that makes a practice's
      target its own base x the default rate, whichever PCN it is in. An empty PCN base (an
      agreed target for a cohort nobody was in) is split evenly between the base month's
      member practices; a practice that joined later gets none of it.
    So a month's target never changes when later months load. Rows exist for the practice
    months with a cohort snapshot and a PCN. The model keeps its SMR name because CA01 and
    DA03 to DA08 read it.
#}
with

unpivoted as (

    select
        practice_code,
        pcn_code,
        month_start_date,
        financial_year,
        month_number_in_financial_year,
        target_kpi_id,
        base_patients as practice_base_patients
    from {{ ref('int_practice_months_sized_for_targets') }}

),

practice_first_months as (

    select
        practice_code,
        financial_year,
        target_kpi_id,
        min(month_start_date) as first_month_start_date
    from unpivoted
    group by practice_code, financial_year, target_kpi_id

),

pcn_targets as (

    select
        pcn_code,
        financial_year,
        target_kpi_id,
        base_month_start_date,
        base_patients,
        base_practices,
        annual_target,
        target_basis
    from {{ ref('int_pcn_targets_fixed_to_financial_years') }}

),

shared as (

    select
        unpivoted.practice_code,
        unpivoted.pcn_code,
        unpivoted.month_start_date,
        unpivoted.financial_year,
        unpivoted.month_number_in_financial_year,
        unpivoted.target_kpi_id,
        unpivoted.practice_base_patients,
        pcn_targets.base_month_start_date,
        coalesce(at_base_month.practice_base_patients, at_first_month.practice_base_patients)
            as practice_base_month_patients,
        coalesce(at_base_month.pcn_code = unpivoted.pcn_code, false) as was_member_in_base_month,
        pcn_targets.base_patients as pcn_base_patients,
        pcn_targets.base_practices as pcn_base_practices,
        pcn_targets.annual_target as pcn_annual_target,
        pcn_targets.target_basis
    from unpivoted
    inner join pcn_targets
        on
            unpivoted.pcn_code = pcn_targets.pcn_code
            and unpivoted.financial_year = pcn_targets.financial_year
            and unpivoted.target_kpi_id = pcn_targets.target_kpi_id
    left join unpivoted as at_base_month
        on
            unpivoted.practice_code = at_base_month.practice_code
            and unpivoted.target_kpi_id = at_base_month.target_kpi_id
            and pcn_targets.base_month_start_date = at_base_month.month_start_date
    inner join practice_first_months
        on
            unpivoted.practice_code = practice_first_months.practice_code
            and unpivoted.financial_year = practice_first_months.financial_year
            and unpivoted.target_kpi_id = practice_first_months.target_kpi_id
    inner join unpivoted as at_first_month
        on
            unpivoted.practice_code = at_first_month.practice_code
            and unpivoted.target_kpi_id = at_first_month.target_kpi_id
            and practice_first_months.first_month_start_date = at_first_month.month_start_date

),

final as (

    select
        {{ surrogate_key(['practice_code', 'month_start_date', 'target_kpi_id']) }}
            as practice_month_target_id,
        practice_code,
        pcn_code,
        month_start_date,
        financial_year,
        month_number_in_financial_year,
        target_kpi_id,
        practice_base_patients,
        base_month_start_date,
        practice_base_month_patients,
        pcn_base_patients,
        pcn_annual_target,
        target_basis,
        case
            when pcn_base_patients > 0 then 1.0 * practice_base_month_patients / pcn_base_patients
            when was_member_in_base_month then 1.0 / pcn_base_practices
            else 0.0
        end as practice_share_of_pcn,
        pcn_annual_target / 12.0 as pcn_monthly_target
    from shared

)

select
    *,
    pcn_monthly_target * practice_share_of_pcn as practice_monthly_target
from final
