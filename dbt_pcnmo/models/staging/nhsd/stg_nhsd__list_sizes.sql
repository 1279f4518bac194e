{#
    NHS Digital's quinary-age file carries every organisation type (GP, PCN, sub-ICB, ICB,
    region) and 'ALL' totals. Staging keeps the GP practice rows that have an extract date,
    totals included: sex 'ALL' / age_band 'ALL' rows are the published list size, and weighted
    populations use the M/F x band rows (intermediate models choose; never sum across both).
    If one extract month was delivered twice, only the newest file is kept.
#}
with

source as (

    select * from {{ source('nhsd', 'gp_list_sizes') }}

),

renamed as (

    select
        -- ids
        {{ clean_code('org_code') }} as practice_code,

        -- dates
        extract_date,
        cast({{ dbt.date_trunc('month', 'extract_date') }} as date) as extract_month,
        _month as delivery_month,

        -- strings
        {{ clean_text('postcode') }} as postcode,

        -- categories
        case
            when upper({{ clean_text('sex') }}) = 'ALL' then 'ALL'
            else {{ normalise_sex('sex') }}
        end as sex,
        upper({{ clean_text('age_group') }}) as age_band,

        -- measures
        number_of_patients,

        -- lineage
        {{ source_lineage_columns() }}

    from source
    where
        upper({{ clean_text('org_type') }}) = 'GP'
        and extract_date is not null

),

ranked as (

    select
        *,
        {{ latest_delivery_rank(['extract_month', 'practice_code']) }} as delivery_rank
    from renamed

),

latest_delivery as (

    select
        -- ids
        practice_code,

        -- dates
        extract_month,
        extract_date,
        delivery_month,

        -- strings
        postcode,

        -- categories
        sex,
        age_band,

        -- measures
        number_of_patients,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where delivery_rank = 1

)

select * from latest_delivery
