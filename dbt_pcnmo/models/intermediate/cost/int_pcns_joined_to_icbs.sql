{#
    The ICB each PCN belongs to, for peer comparison ("peers come from public data"). ODS
    gives a PCN only its parent sub-ICB location (ePCN PCNDetails); epraccur gives every
    practice both its commissioner (sub-ICB location) and its high level health geography
    (since June 2025 the ICB its postcode lies in). So a sub-ICB location's ICB is the
    geographic ICB most of its epraccur practices have (ties to the lower code): a practice
    across a border does not move its sub-ICB location. A PCN's ICB is its parent sub-ICB
    location's ICB. Where no epraccur practice sits in that sub-ICB location (codes renamed
    between releases), the ICB most of the PCN's own member practices lie in is used instead.
#}
with

pcns as (

    select
        pcn_code,
        sub_icb_location_code
    from {{ ref('stg_ods__pcns') }}

),

practices as (

    select
        practice_code,
        sub_icb_location_code,
        geographic_icb_code as icb_code
    from {{ ref('stg_ods__practices') }}
    where geographic_icb_code is not null

),

sub_icb_votes as (

    select
        sub_icb_location_code,
        icb_code,
        row_number() over (
            partition by sub_icb_location_code
            order by count(*) desc, icb_code
        ) as vote_rank
    from practices
    where sub_icb_location_code is not null
    group by sub_icb_location_code, icb_code

),

member_votes as (

    select
        memberships.pcn_code,
        practices.icb_code,
        row_number() over (
            partition by memberships.pcn_code
            order by count(distinct memberships.practice_code) desc, practices.icb_code
        ) as vote_rank
    from {{ ref('stg_ods__pcn_memberships') }} as memberships
    inner join practices
        on memberships.practice_code = practices.practice_code
    group by memberships.pcn_code, practices.icb_code

),

final as (

    select
        pcns.pcn_code,
        pcns.sub_icb_location_code,
        coalesce(sub_icb_votes.icb_code, member_votes.icb_code) as icb_code,
        case
            when sub_icb_votes.icb_code is not null then 'sub_icb_location'
            when member_votes.icb_code is not null then 'member_practices'
        end as icb_code_source
    from pcns
    left join sub_icb_votes
        on
            pcns.sub_icb_location_code = sub_icb_votes.sub_icb_location_code
            and sub_icb_votes.vote_rank = 1
    left join member_votes
        on
            pcns.pcn_code = member_votes.pcn_code
            and member_votes.vote_rank = 1

)

select * from final
