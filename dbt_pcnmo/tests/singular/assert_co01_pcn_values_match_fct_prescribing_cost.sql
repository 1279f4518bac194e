{{ config(meta={'dagster': {'asset_key': ['marts', 'fct_kpi_values']}}) }}
{#
    CO01 reaches fct_kpi_values through the KPI rollup (sums of practice components) and
    fct_prescribing_cost sums the same practice months itself: a PCN's cost and ASTRO-PU must
    agree in both, for every period (to a millionth of a pound or ASTRO-PU: summed in a
    different order). Rows returned are disagreements.
#}
with

kpi as (

    select
        org_code,
        period_id,
        numerator,
        denominator
    from {{ ref('fct_kpi_values') }}
    where
        kpi_id = 'CO01'
        and org_type = 'pcn'
        and data_status = 'ok'

),

costs as (

    select
        org_code,
        period_id,
        actual_cost,
        astro_pu_cost
    from {{ ref('fct_prescribing_cost') }}
    where org_type = 'pcn'

)

select
    coalesce(kpi.org_code, costs.org_code) as org_code,
    coalesce(kpi.period_id, costs.period_id) as period_id,
    kpi.numerator,
    costs.actual_cost,
    kpi.denominator,
    costs.astro_pu_cost
from kpi
full outer join costs
    on
        kpi.org_code = costs.org_code
        and kpi.period_id = costs.period_id
where
    kpi.org_code is null
    or costs.org_code is null
    or abs(kpi.numerator - costs.actual_cost) > 0.000001
    or abs(kpi.denominator - costs.astro_pu_cost) > 0.000001
