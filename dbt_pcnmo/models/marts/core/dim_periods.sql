{#
    Reporting periods for every month in the loaded data (int_months_found_in_extracts):
    each month, each financial-year quarter that contains one, and the financial year to
    date ending at each month. A quarter or year to date whose months are not all loaded
    says so (months_with_data < months_in_period).
#}
with

months as (

    select * from {{ ref('int_months_found_in_extracts') }}

),

month_periods as (

    select
        'month' as period_type,
        month_start_date as period_start,
        month_end_date as period_end,
        financial_year_start_date,
        month_number_in_financial_year,
        1 as months_in_period,
        1 as months_with_data
    from months

),

months_in_quarters as (

    select
        cast({{ dbt.dateadd(
            'month',
            '3 * cast(floor((month_number_in_financial_year - 1) / 3) as integer)',
            'financial_year_start_date',
        ) }} as date) as period_start,
        financial_year_start_date
    from months

),

quarter_periods as (

    select
        'quarter' as period_type,
        period_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, 'period_start')) }} as date)
            as period_end,
        financial_year_start_date,
        cast({{ dbt.datediff('financial_year_start_date', 'period_start', 'month') }} as integer) + 3
            as month_number_in_financial_year,
        3 as months_in_period,
        count(*) as months_with_data
    from months_in_quarters
    group by period_start, financial_year_start_date

),

year_to_date_periods as (

    select
        'financial_year_to_date' as period_type,
        ends.financial_year_start_date as period_start,
        ends.month_end_date as period_end,
        ends.financial_year_start_date,
        ends.month_number_in_financial_year,
        ends.month_number_in_financial_year as months_in_period,
        count(*) as months_with_data
    from months as ends
    inner join months as elapsed
        on
            ends.financial_year_start_date = elapsed.financial_year_start_date
            and elapsed.month_start_date <= ends.month_start_date
    group by
        ends.financial_year_start_date,
        ends.month_end_date,
        ends.month_number_in_financial_year

),

periods as (

    select * from month_periods
    union all
    select * from quarter_periods
    union all
    select * from year_to_date_periods

),

final as (

    select
        {{ dbt.concat(['period_type', "'_'", 'cast(period_end as ' ~ dbt.type_string() ~ ')']) }}
            as period_id,
        period_type,
        period_start,
        period_end,
        {{ dbt.concat([
            'cast(extract(year from financial_year_start_date) as ' ~ dbt.type_string() ~ ')',
            "'/'",
            dbt.right('cast(extract(year from financial_year_start_date) + 1 as ' ~ dbt.type_string() ~ ')', '2'),
        ]) }} as financial_year,
        financial_year_start_date,
        cast(floor((month_number_in_financial_year - 1) / 3) as integer) + 1
            as quarter_number_in_financial_year,
        month_number_in_financial_year,
        months_in_period,
        cast(months_with_data as integer) as months_with_data,
        months_with_data = months_in_period as is_complete
    from periods

)

select * from final
