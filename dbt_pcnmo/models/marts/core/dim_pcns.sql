{#
    PCNs as the newest ePCN release lists them. A practice's current PCN is its membership
    with no end date (the latest-starting one, should ODS list two). The ICB name is the
    sub-ICB location name before ' - <code>' ('NHS Somewhere ICB - 01A' -> 'NHS Somewhere ICB').
#}
with

pcns as (

    select * from {{ ref('stg_ods__pcns') }}

),

current_members as (

    select * from {{ ref('int_practices_joined_to_current_pcns') }}

),

extract_practices as (

    select distinct practice_code
    from {{ ref('stg_clinical__patients') }}

),

member_counts as (

    select
        current_members.pcn_code,
        count(*) as current_practice_count,
        count(extract_practices.practice_code) as practices_with_clinical_extracts
    from current_members
    left join extract_practices
        on current_members.practice_code = extract_practices.practice_code
    group by current_members.pcn_code

),

final as (

    select
        pcns.pcn_code,
        pcns.pcn_name,
        pcns.postcode,
        pcns.sub_icb_location_code,
        pcns.sub_icb_location_name,
        trim({{ dbt.split_part('pcns.sub_icb_location_name', "' - '", 1) }}) as icb_name,
        pcns.open_date,
        pcns.close_date,
        pcns.close_date is null as is_open,
        cast(coalesce(member_counts.current_practice_count, 0) as integer) as current_practice_count,
        cast(coalesce(member_counts.practices_with_clinical_extracts, 0) as integer)
            as practices_with_clinical_extracts,
        coalesce(member_counts.practices_with_clinical_extracts, 0) > 0 as has_clinical_extracts,
        pcns.snapshot_month as ods_release_month
    from pcns
    left join member_counts
        on pcns.pcn_code = member_counts.pcn_code

)

select * from final
