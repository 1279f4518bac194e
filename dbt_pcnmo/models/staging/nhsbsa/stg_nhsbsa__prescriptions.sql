{#
    EPD rows are not unique (one practice x presentation can appear once per pack size or
    SNOMED product), so every published row is kept and identified by where it was delivered;
    aggregation belongs in intermediate models.

    One guard: if a practice's dispensing month arrived in more than one file (a month
    republished, or the legacy and the SNOMED layout both dropped in the inbox), only the
    newest file is kept, so the month is never counted twice. Ties within one inbox month go to
    the later file name, which puts EPD_SNOMED_yyyymm (the current layout) before EPD_yyyymm.
#}
with

source as (

    select * from {{ source('nhsbsa', 'epd') }}

),

renamed as (

    select
        -- ids
        {{ surrogate_key(['_month', '_source_file', '_source_row']) }} as prescription_id,
        {{ clean_code('practice_code') }} as practice_code,
        {{ clean_code('sub_icb_location_code') }} as sub_icb_location_code,
        {{ clean_code('icb_code') }} as icb_code,
        {{ clean_code('chemical_substance_code') }} as bnf_chemical_substance_code,
        {{ clean_code('bnf_code') }} as bnf_code,
        {{ clean_text('snomed_code') }} as snomed_code,

        -- dates
        year_month as dispensing_month,
        _month as delivery_month,

        -- strings
        {{ clean_text('practice_name') }} as practice_name,
        {{ clean_text('bnf_description') }} as bnf_description,

        -- measures
        items,
        quantity as quantity_per_item,
        total_quantity,
        adq_usage as average_daily_quantities,
        nic as net_ingredient_cost,
        actual_cost,

        -- flags
        {{ normalise_flag('unidentified') }} as is_prescriber_unidentified,

        -- lineage
        {{ source_lineage_columns() }}

    from source

),

ranked as (

    select
        *,
        {{ latest_delivery_rank(['dispensing_month', 'practice_code']) }} as delivery_rank
    from renamed

),

latest_delivery as (

    select
        -- ids
        prescription_id,
        practice_code,
        sub_icb_location_code,
        icb_code,
        bnf_chemical_substance_code,
        bnf_code,
        snomed_code,

        -- dates
        dispensing_month,
        delivery_month,

        -- strings
        practice_name,
        bnf_description,

        -- measures
        items,
        quantity_per_item,
        total_quantity,
        average_daily_quantities,
        net_ingredient_cost,
        actual_cost,

        -- flags
        is_prescriber_unidentified,

        -- lineage
        source_file_name,
        source_row_number,
        source_dialect,
        loaded_at

    from ranked
    where delivery_rank = 1

)

select * from latest_delivery
