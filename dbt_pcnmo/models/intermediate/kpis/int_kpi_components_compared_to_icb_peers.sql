{#
    The peer comparator fct_kpi_values shows beside every KPI whose seed
    kpi_definitions.peer_comparator is icb_peer_median: the median of the KPI's value (macro
    kpi_value, before fct_kpi_values rounds it) across the organisations of the same type
    (practices with practices, PCNs with PCNs) in the same ICB for the same period.

    * Peers are the organisations with data: data_status 'ok' and a value. A PCN or practice
      with no data for the period (its EPD rows missing, say) is not a peer, so it cannot
      drag the median down as a false 0 would.
    * ICB: a PCN's is int_pcns_joined_to_icbs; a practice's is the ICB of the PCN it belonged
      to in the period's months, else (in no PCN) epraccur's column 4, the ICB its postcode
      lies in (as fct_prescribing_cost assigns them, so CO01's median is that mart's peer
      median).
    * Every organisation of that type in the ICB gets the median, with data or not: it
      describes the ICB, not the organisation.
    * CO02 divides every value by the ICB's median PCN, so its PCN median is 1 by
      construction, and its practice median is the median practice's cost against the
      median PCN: where a typical practice of the ICB sits on the same scale.
#}
with

kpis as (

    select
        kpi_id,
        unit
    from {{ ref('kpi_definitions') }}
    where peer_comparator = 'icb_peer_median'

),

periods as (

    select
        period_id,
        period_start,
        period_end
    from {{ ref('dim_periods') }}

),

pcn_icbs as (

    select
        pcn_code,
        icb_code
    from {{ ref('int_pcns_joined_to_icbs') }}
    where icb_code is not null

),

practice_icbs as (

    select
        periods.period_id,
        memberships.practice_code,
        coalesce(max(pcn_icbs.icb_code), max(practices.geographic_icb_code)) as icb_code
    from {{ ref('int_practices_joined_to_pcns_by_month') }} as memberships
    inner join periods
        on memberships.month_start_date between periods.period_start and periods.period_end
    left join {{ ref('stg_ods__practices') }} as practices
        on memberships.practice_code = practices.practice_code
    left join pcn_icbs
        on memberships.pcn_code = pcn_icbs.pcn_code
    group by periods.period_id, memberships.practice_code

),

valued as (

    select
        components.org_type,
        components.org_code,
        components.period_id,
        components.kpi_id,
        coalesce(practice_icbs.icb_code, pcn_icbs.icb_code) as icb_code,
        case
            when components.data_status = 'ok'
                then {{ kpi_value('kpis.unit', 'components.numerator', 'components.denominator') }}
        end as value
    from {{ ref('int_kpi_components_rolled_up_to_organisations') }} as components
    inner join kpis
        on components.kpi_id = kpis.kpi_id
    left join practice_icbs
        on
            components.org_type = 'practice'
            and components.org_code = practice_icbs.practice_code
            and components.period_id = practice_icbs.period_id
    left join pcn_icbs
        on
            components.org_type = 'pcn'
            and components.org_code = pcn_icbs.pcn_code

),

peer_medians as (

    select
        org_type,
        icb_code,
        period_id,
        kpi_id,
        percentile_cont(0.5) within group (order by value) as peer_median
    from valued
    where
        icb_code is not null
        and value is not null
    group by org_type, icb_code, period_id, kpi_id

),

final as (

    select
        valued.org_type,
        valued.org_code,
        valued.period_id,
        valued.kpi_id,
        peer_medians.peer_median as peer_comparator
    from valued
    inner join peer_medians
        on
            valued.org_type = peer_medians.org_type
            and valued.icb_code = peer_medians.icb_code
            and valued.period_id = peer_medians.period_id
            and valued.kpi_id = peer_medians.kpi_id

)

select * from final
