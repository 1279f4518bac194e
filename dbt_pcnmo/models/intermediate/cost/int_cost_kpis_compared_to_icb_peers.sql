{#
    The peer comparator fct_kpi_values shows beside CO01 and CO02: the median of the KPI's
    value across organisations of the same type (practices with practices, PCNs with PCNs)
    in the same ICB for the same period.

    * CO01: the peer median cost per ASTRO-PU (fct_prescribing_cost).
    * CO02: the median of the peers' CO02 values. CO02 divides every row by the ICB's median
      PCN, so for PCNs this is 1 by construction, and for practices it is the median
      practice's cost against the median PCN (median practice CO01 / median PCN CO01):
      where a typical practice of the ICB sits on the same scale.
#}
with

costs as (

    select
        org_type,
        org_code,
        period_id,
        icb_code,
        peer_median_cost_per_astro_pu
    from {{ ref('fct_prescribing_cost') }}
    where peer_median_cost_per_astro_pu is not null

),

icb_pcn_medians as (

    select distinct
        icb_code,
        period_id,
        peer_median_cost_per_astro_pu as pcn_median_cost_per_astro_pu
    from costs
    where org_type = 'pcn'

),

final as (

    select
        org_type,
        org_code,
        period_id,
        'CO01' as kpi_id,
        peer_median_cost_per_astro_pu as peer_comparator
    from costs
    union all
    select
        costs.org_type,
        costs.org_code,
        costs.period_id,
        'CO02' as kpi_id,
        costs.peer_median_cost_per_astro_pu
        / icb_pcn_medians.pcn_median_cost_per_astro_pu as peer_comparator
    from costs
    inner join icb_pcn_medians
        on
            costs.icb_code = icb_pcn_medians.icb_code
            and costs.period_id = icb_pcn_medians.period_id
    where icb_pcn_medians.pcn_median_cost_per_astro_pu > 0

)

select * from final
