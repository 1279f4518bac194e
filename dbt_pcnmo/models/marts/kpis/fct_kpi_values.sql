{#
    The value and RAG of every KPI row, in one place for all KPIs. The value is in the KPI's
    unit: numerator / denominator, times 100 for percent and 10,000 for rate_per_10000; a count
    is its numerator. The RAG rule is the one seed kpi_definitions states: higher_is_better is
    green at or above the green threshold, amber at or above the amber threshold, else red;
    lower_is_better mirrors it (at or below). A KPI without thresholds (or with a direction
    no rule is written for yet) is no_rag; a row without a value is no_data.
    peer_comparator comes from the peer model of the KPIs that have one (CO01 and CO02: the
    median across the same type of organisation in the ICB, int_cost_kpis_compared_to_icb_peers);
    null for every other KPI.
#}
with

components as (

    select * from {{ ref('int_kpi_components_rolled_up_to_organisations') }}

),

definitions as (

    select
        kpi_id,
        unit,
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
    from {{ ref('int_cost_kpis_compared_to_icb_peers') }}

),

valued as (

    select
        components.org_type,
        components.org_code,
        components.period_id,
        components.kpi_id,
        components.numerator,
        components.denominator,
        case
            when definitions.unit = 'count' then 1.0 * components.numerator
            when components.denominator > 0
                then
                    case definitions.unit
                        when 'percent' then 100.0
                        when 'rate_per_10000' then 10000.0
                        else 1.0
                    end
                    * components.numerator / components.denominator
        end as value,
        definitions.unit,
        definitions.rag_green_threshold,
        definitions.rag_amber_threshold,
        definitions.direction,
        peers.peer_comparator,
        components.data_status
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
        case
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
        data_status
    from valued

)

select * from final
