{#
    The strength printed in a dm+d drug name ("Apixaban 2.5mg tablets", "Salbutamol
    100micrograms/dose inhaler"), for comparing two products of one chemical substance: part
    'value' gives the number in the unit part 'unit' names, with micrograms and grams turned
    into mg so 500micrograms and 0.5mg compare equal. The first strength in the name is used
    (for "10mg/5ml" that is 10mg). Null when the name prints no strength.
#}
{% macro drug_strength(column, part) -%}
    {%- set pattern = "'([0-9]+(\\.[0-9]+)?) ?(micrograms?|mg|g|units?|ml)\\b'" -%}
    {%- set number = "cast(nullif(regexp_extract(lower(" ~ column ~ "), " ~ pattern ~ ", 1), '') as double)" -%}
    {%- set unit = "nullif(regexp_extract(lower(" ~ column ~ "), " ~ pattern ~ ", 3), '')" -%}
    {%- if part == 'value' -%}
        case
            when {{ unit }} like 'microgram%' then {{ number }} / 1000.0
            when {{ unit }} = 'g' then {{ number }} * 1000.0
            else {{ number }}
        end
    {%- elif part == 'unit' -%}
        case
            when {{ unit }} in ('mg', 'g') or {{ unit }} like 'microgram%' then 'mg'
            when {{ unit }} like 'unit%' then 'unit'
            else {{ unit }}
        end
    {%- else -%}
        {{ exceptions.raise_compiler_error("drug_strength part must be 'value' or 'unit'") }}
    {%- endif -%}
{%- endmacro %}
