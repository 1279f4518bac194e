{#
    The one scope of the public data: the practices the warehouse reports on, the members
    (at any time) of the ePCN membership whose practice sub-ICB location is in the
    PCNMO_SUB_ICB_CODES setting (macro sub_icb_scope; every member when it is empty).
    Ingestion keeps the national EPD to these practices with the same rule
    (ingestion's scope_practices); here the membership calendar
    (int_practices_joined_to_pcns_by_month) and the practice months of prescribing cost
    (int_prescribing_costs_joined_to_astro_pu_by_month: list sizes and EPD) are cut to them,
    so list sizes, EPD and membership cover the same practices. Without the cut, a practice
    outside the setting kept its list size but lost its EPD rows, showed a cost of 0 and
    dragged its ICB's peer median down.
#}
{%- set scope = sub_icb_scope() %}

with

memberships as (

    select
        practice_code,
        practice_sub_icb_location_code
    from {{ ref('stg_ods__pcn_memberships') }}

),

final as (

    select distinct practice_code
    from memberships
    {% if scope %}
    where practice_sub_icb_location_code in ('{{ scope | join("', '") }}')
    {% endif %}

)

select * from final
