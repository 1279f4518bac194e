{#
    The months the warehouse can report: every month with a clinical snapshot or an EPD
    dispensing month. dim_periods and the practice-to-PCN calendar both start from here, so a
    month exists in one place only.
#}
with

patient_months as (

    select distinct snapshot_month as month_start_date
    from {{ ref('stg_clinical__patients') }}

),

prescription_months as (

    select distinct dispensing_month as month_start_date
    from {{ ref('stg_nhsbsa__prescriptions') }}

),

unioned as (

    select
        cast({{ dbt.date_trunc('month', 'month_start_date') }} as date) as month_start_date,
        1 as has_clinical_extracts,
        0 as has_prescribing_data
    from patient_months

    union all

    select
        cast({{ dbt.date_trunc('month', 'month_start_date') }} as date) as month_start_date,
        0 as has_clinical_extracts,
        1 as has_prescribing_data
    from prescription_months

),

months as (

    select
        month_start_date,
        max(has_clinical_extracts) = 1 as has_clinical_extracts,
        max(has_prescribing_data) = 1 as has_prescribing_data
    from unioned
    where month_start_date is not null
    group by month_start_date

),

final as (

    select
        month_start_date,
        {{ month_end_date('month_start_date') }} as month_end_date,
        {{ financial_year_start_date('month_start_date') }} as financial_year_start_date,
        mod(cast(extract(month from month_start_date) as integer) + 8, 12) + 1
            as month_number_in_financial_year,
        has_clinical_extracts,
        has_prescribing_data
    from months

)

select * from final
