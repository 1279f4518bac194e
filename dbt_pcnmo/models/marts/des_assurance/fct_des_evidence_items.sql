{#
    The seven medicines optimisation evidence items (docs/design.md section 4; seed
    des_evidence_items: two DES requirements, five local / ICB assurance items, each labelled)
    for every PCN with member practices in a month, each with a status
    and a sentence giving the figures behind it: the DES evidence checklist of the dashboard
    and the supervision evidence of the ICB return.
    Each item is assessed in one intermediate model (rules and thresholds there and in seed
    des_evidence_rules): item 1 from the workforce record and supervision log, items 3 and 5
    from the clinical extracts, items 2, 4, 6 and 7 from the KPI mart. An item those models
    say nothing about for a PCN month is no_data, with the seed's sentence saying which
    source is missing, so the checklist always has seven rows.
#}
with

pcn_months as (

    select distinct
        memberships.pcn_code,
        periods.period_id
    from {{ ref('int_practices_joined_to_pcns_by_month') }} as memberships
    inner join {{ ref('dim_periods') }} as periods
        on
            periods.period_type = 'month'
            and memberships.month_start_date = periods.period_start

),

items as (

    select
        item_number,
        item_name,
        evidence_basis,
        source_kpi_ids,
        no_data_evidence
    from {{ ref('des_evidence_items') }}

),

assessed as (

    select * from {{ ref('int_des_workforce_evidence_assessed_to_pcn_months') }}
    union all
    select * from {{ ref('int_des_clinical_evidence_assessed_to_pcn_months') }}
    union all
    select * from {{ ref('int_des_kpi_evidence_assessed_to_pcn_months') }}

),

final as (

    select
        pcn_months.pcn_code,
        pcn_months.period_id,
        cast(items.item_number as integer) as item_number,
        items.item_name,
        items.evidence_basis,
        coalesce(assessed.status, 'no_data') as status,
        coalesce(assessed.evidence, items.no_data_evidence) as evidence,
        coalesce(nullif(assessed.source_kpi_ids, ''), items.source_kpi_ids, '') as source_kpi_ids
    from pcn_months
    cross join items
    left join assessed
        on
            pcn_months.pcn_code = assessed.pcn_code
            and pcn_months.period_id = assessed.period_id
            and items.item_number = assessed.item_number

)

select * from final
