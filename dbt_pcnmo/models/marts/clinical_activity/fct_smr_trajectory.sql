{#
    The SMR trajectory sheet, read from the KPI mart so it can never disagree with CA01 and
    CA02: for each practice and PCN month, SMRs year to date against the straight-line
    trajectory to the year-end target, the year end forecast at the current run rate, and the
    pharmacist capacity the rest of the year needs.

    * year_end_target: target to date plus this month's target for each month left. For a PCN
      with unchanged membership that is its annual target; for a practice it assumes its
      current share of the PCN's cohort holds for the rest of the year.
    * forecast: SMRs year to date / months elapsed x 12.
    * pharmacist capacity: SMRs still needed / months left / smrs_per_wte_per_month (a local
      assumption in seed smr_planning_assumptions); null in March, when no month is left.
#}
with

assumptions as (

    select max(case when parameter = 'smrs_per_wte_per_month' then value end)
        as smrs_per_wte_per_month
    from {{ ref('smr_planning_assumptions') }}

),

months as (

    select
        period_id,
        period_start,
        period_end,
        financial_year,
        month_number_in_financial_year
    from {{ ref('dim_periods') }}
    where period_type = 'month'

),

years_to_date as (

    select
        period_id,
        period_end
    from {{ ref('dim_periods') }}
    where period_type = 'financial_year_to_date'

),

kpi_values as (

    select
        org_type,
        org_code,
        period_id,
        kpi_id,
        numerator,
        denominator,
        value
    from {{ ref('fct_kpi_values') }}
    where kpi_id in ('CA01', 'CA02') and data_status != 'no data'

),

joined as (

    select
        in_month.org_type,
        in_month.org_code,
        months.period_id,
        months.period_start as reporting_month,
        months.financial_year,
        months.month_number_in_financial_year,
        in_month.numerator as smrs_in_month,
        in_month.denominator as month_target,
        to_date.numerator as smrs_year_to_date,
        to_date.denominator as trajectory_to_date,
        to_date.value as percent_of_trajectory,
        to_date.denominator
        + (12 - months.month_number_in_financial_year) * in_month.denominator as year_end_target,
        assumptions.smrs_per_wte_per_month
    from months
    inner join years_to_date
        on months.period_end = years_to_date.period_end
    inner join kpi_values as in_month
        on
            months.period_id = in_month.period_id
            and in_month.kpi_id = 'CA02'
    inner join kpi_values as to_date
        on
            years_to_date.period_id = to_date.period_id
            and in_month.org_type = to_date.org_type
            and in_month.org_code = to_date.org_code
            and to_date.kpi_id = 'CA01'
    cross join assumptions

),

final as (

    select
        org_type,
        org_code,
        period_id,
        reporting_month,
        financial_year,
        month_number_in_financial_year,
        cast(smrs_in_month as integer) as smrs_in_month,
        cast(month_target as double) as month_target,
        cast(smrs_year_to_date as integer) as smrs_year_to_date,
        cast(trajectory_to_date as double) as trajectory_to_date,
        cast(smrs_year_to_date - trajectory_to_date as double) as gap_to_trajectory,
        cast(percent_of_trajectory as double) as percent_of_trajectory,
        cast(year_end_target as double) as year_end_target,
        cast(12.0 * smrs_year_to_date / month_number_in_financial_year as double)
            as forecast_year_end_smrs,
        cast(
            case
                when year_end_target > smrs_year_to_date then year_end_target - smrs_year_to_date
                else 0
            end as double
        ) as remaining_smrs_needed,
        cast(12 - month_number_in_financial_year as integer) as months_remaining,
        cast(
            case
                when month_number_in_financial_year < 12
                    then
                        (case
                            when year_end_target > smrs_year_to_date
                                then year_end_target - smrs_year_to_date
                            else 0
                        end)
                        / (12 - month_number_in_financial_year)
                        / smrs_per_wte_per_month
            end as double
        ) as pharmacist_wte_needed,
        cast(smrs_per_wte_per_month as double) as smrs_per_wte_per_month
    from joined

)

select * from final
