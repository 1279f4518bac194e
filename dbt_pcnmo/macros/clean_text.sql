{#- Trim surrounding whitespace and turn an empty string into null. -#}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}
