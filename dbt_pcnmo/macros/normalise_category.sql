{#-
    A categorical label as a snake_case code: 'MHRA Class 1' -> 'mhra_class_1',
    'Company-led' -> 'company_led', 'Clinic/practice' -> 'clinic_practice'. The loader accepts
    these labels in any case, so staging settles on one spelling that seeds and models can
    join on. Nested replace() rather than a regex keeps it portable across warehouses.
-#}
{% macro normalise_category(column) -%}
    replace(replace(replace(lower({{ clean_text(column) }}), ' ', '_'), '-', '_'), '/', '_')
{%- endmacro %}
