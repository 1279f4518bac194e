{#
    The 1 April that starts the NHS financial year (April to March) containing a date:
    the month is moved back by (month + 8) mod 12 months, so April -> 0 and March -> 11.
#}
{% macro financial_year_start_date(column) -%}
    cast({{ dbt.dateadd(
        'month',
        '-1 * mod(cast(extract(month from ' ~ column ~ ') as integer) + 8, 12)',
        dbt.date_trunc('month', column),
    ) }} as date)
{%- endmacro %}
