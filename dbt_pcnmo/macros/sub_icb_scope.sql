{#
    The sub-ICB location codes whose practices the warehouse reports on, from the same
    setting ingestion cuts the national EPD by (PCNMO_SUB_ICB_CODES: comma-separated, read
    as pcnmo's settings read it: trimmed, upper-cased, blanks dropped). An empty list means
    every practice of the loaded ePCN membership, as at ingestion.
#}
{% macro sub_icb_scope() -%}
    {%- set codes = [] -%}
    {%- for code in env_var('PCNMO_SUB_ICB_CODES', '').split(',') -%}
        {%- if code.strip() -%}
            {%- do codes.append(code.strip().upper()) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(codes | unique | sort) }}
{%- endmacro %}
