{#- An identifying code (ODS, BNF, PINCER indicator): trimmed, upper-case, empty as null. -#}
{% macro clean_code(column) -%}
    upper({{ clean_text(column) }})
{%- endmacro %}
