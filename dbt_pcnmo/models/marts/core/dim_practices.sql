{#
    Prescribing cost centres as the newest epraccur release lists them (GP practices and other
    settings: is_gp_practice marks prescribing setting 4), with the PCN each belongs to now
    (its ePCN membership with no end date). The sub-ICB location name comes from the ePCN
    membership, or from the PCN register for a practice outside any PCN; the ICB name is the
    part before ' - <code>'. The ICB is the current PCN's (int_pcns_joined_to_icbs), else
    epraccur's column 4, which since June 2025 is the ICB the postcode lies in and is kept
    beside it as geographic_icb_code.
#}
with

practices as (

    select * from {{ ref('stg_ods__practices') }}

),

current_members as (

    select * from {{ ref('int_practices_joined_to_current_pcns') }}

),

pcns as (

    select
        pcn_code,
        pcn_name
    from {{ ref('stg_ods__pcns') }}

),

pcn_icbs as (

    select
        pcn_code,
        icb_code
    from {{ ref('int_pcns_joined_to_icbs') }}

),

sub_icb_names as (

    select
        sub_icb_location_code,
        max(sub_icb_location_name) as sub_icb_location_name
    from {{ ref('stg_ods__pcns') }}
    group by sub_icb_location_code

),

extract_practices as (

    select distinct practice_code
    from {{ ref('stg_clinical__patients') }}

),

joined as (

    select
        practices.practice_code,
        practices.practice_name,
        practices.postcode,
        practices.status_code,
        practices.status_code = 'A' as is_active,
        practices.open_date,
        practices.close_date,
        practices.prescribing_setting,
        practices.is_gp_practice,
        current_members.pcn_code,
        pcns.pcn_name,
        current_members.membership_start_date as pcn_membership_start_date,
        practices.sub_icb_location_code,
        coalesce(
            current_members.practice_sub_icb_location_name, sub_icb_names.sub_icb_location_name
        ) as sub_icb_location_name,
        coalesce(pcn_icbs.icb_code, practices.geographic_icb_code) as icb_code,
        practices.geographic_icb_code,
        extract_practices.practice_code is not null as has_clinical_extracts,
        practices.snapshot_month as ods_release_month
    from practices
    left join current_members
        on practices.practice_code = current_members.practice_code
    left join pcns
        on current_members.pcn_code = pcns.pcn_code
    left join pcn_icbs
        on current_members.pcn_code = pcn_icbs.pcn_code
    left join sub_icb_names
        on practices.sub_icb_location_code = sub_icb_names.sub_icb_location_code
    left join extract_practices
        on practices.practice_code = extract_practices.practice_code

),

final as (

    select
        practice_code,
        practice_name,
        postcode,
        status_code,
        is_active,
        open_date,
        close_date,
        prescribing_setting,
        is_gp_practice,
        pcn_code,
        pcn_name,
        pcn_membership_start_date,
        sub_icb_location_code,
        sub_icb_location_name,
        icb_code,
        trim({{ dbt.split_part('sub_icb_location_name', "' - '", 1) }}) as icb_name,
        geographic_icb_code,
        has_clinical_extracts,
        ods_release_month
    from joined

)

select * from final
