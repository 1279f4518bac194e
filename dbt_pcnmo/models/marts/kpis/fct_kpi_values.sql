{#
    The value and RAG of every KPI row, in one place for all KPIs.

    * value: the KPI in its unit (macro kpi_value: numerator / denominator, x 100 for percent
      and x 10,000 for rate_per_10000; a count is its numerator), rounded to the KPI's
      display_decimals (seed kpi_definitions). Numerators and denominators arrive as exact
      decimal sums and the value is rounded once, here, so the same inputs give the same
      bytes whatever order DuckDB's threads added the rows in.
    * rag: decided on the rounded value, so the colour always matches the figure published
      (a CO02 of 1.00 against a green threshold of 1 is green). higher_is_better is green at
      or above the green threshold, amber at or above the amber threshold, else red;
      lower_is_better mirrors it (at or below). A KPI without thresholds (or a direction no
      rule is written for yet) is no_rag. A row without a value is no_data, or nothing_due
      when the source was delivered but nothing fell due (data_status).
    * target_basis: whether the local target behind the denominator was agreed (seed
      pcn_targets) or is the default, from the rollup; null for KPIs without a local target.
    * peer_comparator: for KPIs whose seed peer_comparator is icb_peer_median, the median
      value of the same type of organisation in the ICB (int_kpi_components_compared_to_icb_peers),
      rounded like the value; null for every other KPI.
#}
with

components as (

    select * from {{ ref('int_kpi_components_rolled_up_to_organisations') }}

),

definitions as (

    select
        kpi_id,
        unit,
        display_decimals,
        direction,
        rag_green_threshold,
        rag_amber_threshold
    from {{ ref('kpi_definitions') }}

),

peers as (

    select
        org_type,
        org_code,
        period_id,
        kpi_id,
        peer_comparator
    from {{ ref('int_kpi_components_compared_to_icb_peers') }}

),

valued as (

    select
        components.org_type,
        components.org_code,
        components.period_id,
        components.kpi_id,
        components.numerator,
        components.denominator,
        round(
            {{ kpi_value('definitions.unit', 'components.numerator', 'components.denominator') }},
            definitions.display_decimals
        ) as value,
        definitions.unit,
        definitions.rag_green_threshold,
        definitions.rag_amber_threshold,
        definitions.direction,
        components.target_basis,
        round(peers.peer_comparator, definitions.display_decimals) as peer_comparator,
        components.data_status,
        components.practices_without_data
    from components
    inner join definitions
        on components.kpi_id = definitions.kpi_id
    left join peers
        on
            components.org_type = peers.org_type
            and components.org_code = peers.org_code
            and components.period_id = peers.period_id
            and components.kpi_id = peers.kpi_id

),

final as (

    select
        org_type,
        org_code,
        period_id,
        kpi_id,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        cast(value as double) as value,
        unit,
        cast(rag_green_threshold as double) as target,
        target_basis,
        case
            when value is null and data_status = 'nothing due' then 'nothing_due'
            when value is null then 'no_data'
            when rag_green_threshold is null or rag_amber_threshold is null then 'no_rag'
            when direction = 'higher_is_better' then
                case
                    when value >= rag_green_threshold then 'green'
                    when value >= rag_amber_threshold then 'amber'
                    else 'red'
                end
            when direction = 'lower_is_better' then
                case
                    when value <= rag_green_threshold then 'green'
                    when value <= rag_amber_threshold then 'amber'
                    else 'red'
                end
            else 'no_rag'
        end as rag,
        direction,
        cast(peer_comparator as double) as peer_comparator,
        data_status,
        practices_without_data
    from valued

)

select * from final
