{#-
    1, 2, 3 ... for rows that share `partition_by` within one delivered file, in file order.
    Keeps genuine repeats within a file (two results of the same test on the same day) apart
    once a surrogate key is built from the natural key plus this number.
-#}
{% macro occurrence_in_delivery(partition_by) -%}
    row_number() over (
        partition by {{ partition_by | join(', ') }}, delivery_month, source_file_name
        order by source_row_number
    )
{%- endmacro %}
