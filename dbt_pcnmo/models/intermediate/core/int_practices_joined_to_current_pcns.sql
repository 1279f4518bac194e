{#
    A practice's current PCN: its ePCN membership with no end date in the newest release; if
    ODS lists two open memberships, the one that started later.
#}
with

memberships as (

    select
        practice_code,
        pcn_code,
        membership_start_date,
        practice_sub_icb_location_code,
        practice_sub_icb_location_name,
        row_number() over (
            partition by practice_code
            order by membership_start_date desc, pcn_code
        ) as membership_rank
    from {{ ref('stg_ods__pcn_memberships') }}
    where membership_end_date is null

),

final as (

    select
        practice_code,
        pcn_code,
        membership_start_date,
        practice_sub_icb_location_code,
        practice_sub_icb_location_name
    from memberships
    where membership_rank = 1

)

select * from final
