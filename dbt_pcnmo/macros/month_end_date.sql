{#  The last day of the month that starts on `column` (a first-of-month date). #}
{% macro month_end_date(column) -%}
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, column)) }} as date)
{%- endmacro %}
