{#
    Prescribing cost and ASTRO-PU of each GP practice in scope for each month, with the PCN it
    belonged to that month (int_practices_joined_to_pcns_by_month) and its ICB: the months
    every cost KPI and fct_prescribing_cost add up.

    * Scope: only practices in int_practices_in_scope, for list sizes and EPD alike (the
      national list-size file lists every practice in England; ingestion cuts the EPD to the
      same practices), so a practice outside the configured sub-ICB locations never shows a
      list size without its prescribing.
    * Cost: sum of EPD ACTUAL_COST over the practice's rows for the dispensing month (EPD rows
      are not unique, so always summed), in exact decimal pounds, so sums never depend on
      the order they are added in.
    * A month with a list size but no EPD rows for the practice, in an EPD month that was
      delivered (any practice has rows for it): the national file lists every practice with
      anything dispensed, so this is a data problem, not a month of free prescribing. The
      row is kept with a null cost and is_missing_from_prescribing_data true (a warning-level
      dbt test names it), and every cost figure leaves the month out: the practice shows 'no
      data' for it, and its PCN is summed over its other practices.
    * A month whose EPD was not delivered at all (EPD arrives about two months in arrears)
      has no row.
    * A month with EPD rows but no list size for that month cannot be weighted: it is kept
      with a null astro_pu_cost so the gap is visible here, and left out of every ratio
      downstream (has_astro_pu false).
    * Only GP practices (epraccur prescribing setting 4), the organisations OpenPrescribing
      compares; a practice missing from epraccur is kept (no evidence it is not one).
    * icb_code: the ICB of the PCN the practice belonged to that month
      (int_pcns_joined_to_icbs, from its parent sub-ICB location); for a practice in no PCN,
      epraccur's column 4. Column 4 is never preferred: since June 2025 it is the ICB the
      practice's postcode lies in, so a practice near a border would be compared with the
      wrong ICB's median.
    is_costed marks the months the cost figures use: EPD rows and a positive ASTRO-PU.
#}
with

months as (

    select
        month_start_date,
        has_prescribing_data
    from {{ ref('int_months_found_in_extracts') }}

),

costs as (

    select
        practice_code,
        cast({{ dbt.date_trunc('month', 'dispensing_month') }} as date) as month_start_date,
        sum(actual_cost) as actual_cost,
        count(*) as prescription_rows
    from {{ ref('stg_nhsbsa__prescriptions') }}
    where practice_code in (select practice_code from {{ ref('int_practices_in_scope') }})
    group by practice_code, cast({{ dbt.date_trunc('month', 'dispensing_month') }} as date)

),

astro_pu as (

    select
        practice_code,
        month_start_date,
        list_size,
        astro_pu_cost
    from {{ ref('int_list_sizes_banded_to_astro_pu') }}
    where practice_code in (select practice_code from {{ ref('int_practices_in_scope') }})

),

practice_months as (

    select
        coalesce(astro_pu.practice_code, costs.practice_code) as practice_code,
        coalesce(astro_pu.month_start_date, costs.month_start_date) as month_start_date,
        costs.actual_cost,
        coalesce(costs.prescription_rows, 0) as prescription_rows,
        astro_pu.list_size,
        astro_pu.astro_pu_cost
    from astro_pu
    full outer join costs
        on
            astro_pu.practice_code = costs.practice_code
            and astro_pu.month_start_date = costs.month_start_date

),

practices as (

    select
        practice_code,
        geographic_icb_code,
        is_gp_practice
    from {{ ref('stg_ods__practices') }}

),

memberships as (

    select
        practice_code,
        month_start_date,
        pcn_code
    from {{ ref('int_practices_joined_to_pcns_by_month') }}

),

pcn_icbs as (

    select
        pcn_code,
        icb_code
    from {{ ref('int_pcns_joined_to_icbs') }}

),

final as (

    select
        practice_months.practice_code,
        practice_months.month_start_date,
        memberships.pcn_code,
        coalesce(pcn_icbs.icb_code, practices.geographic_icb_code) as icb_code,
        cast(practice_months.actual_cost as decimal(38, 5)) as actual_cost,
        cast(practice_months.astro_pu_cost as decimal(38, 10)) as astro_pu_cost,
        practice_months.list_size,
        practice_months.prescription_rows,
        coalesce(practice_months.astro_pu_cost > 0, false) as has_astro_pu,
        practice_months.prescription_rows = 0 and practice_months.list_size > 0
            as is_missing_from_prescribing_data,
        practice_months.prescription_rows > 0 and coalesce(practice_months.astro_pu_cost > 0, false)
            as is_costed
    from practice_months
    inner join months
        on practice_months.month_start_date = months.month_start_date
    left join practices
        on practice_months.practice_code = practices.practice_code
    left join memberships
        on
            practice_months.practice_code = memberships.practice_code
            and practice_months.month_start_date = memberships.month_start_date
    left join pcn_icbs
        on memberships.pcn_code = pcn_icbs.pcn_code
    where
        months.has_prescribing_data
        and coalesce(practices.is_gp_practice, true)

)

select * from final
