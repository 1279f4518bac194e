{#
    ODS gives each practice-to-PCN relationship a start and an end date. A practice belongs,
    for a month, to the PCN it was a member of on the month's last day: a practice that moves
    on 1 January counts in its old PCN up to December and in the new one from January. If
    two memberships overlap on that day (an ODS data error), the one that started later wins.
    Only practices in scope (int_practices_in_scope) have a calendar, so the KPI mart reports
    the practices whose EPD ingestion kept, and their PCNs.
#}
with

months as (

    select
        month_start_date,
        month_end_date
    from {{ ref('int_months_found_in_extracts') }}

),

memberships as (

    select
        practice_code,
        pcn_code,
        membership_start_date,
        membership_end_date
    from {{ ref('stg_ods__pcn_memberships') }}
    where practice_code in (select practice_code from {{ ref('int_practices_in_scope') }})

),

joined as (

    select
        memberships.practice_code,
        months.month_start_date,
        months.month_end_date,
        memberships.pcn_code,
        memberships.membership_start_date,
        memberships.membership_end_date,
        row_number() over (
            partition by memberships.practice_code, months.month_start_date
            order by memberships.membership_start_date desc, memberships.pcn_code
        ) as membership_rank
    from memberships
    inner join months
        on
            memberships.membership_start_date <= months.month_end_date
            and (
                memberships.membership_end_date is null
                or memberships.membership_end_date >= months.month_end_date
            )

),

final as (

    select
        practice_code,
        month_start_date,
        month_end_date,
        pcn_code,
        membership_start_date,
        membership_end_date
    from joined
    where membership_rank = 1

)

select * from final
