{#-
    Window expression ranking deliveries newest first within `partition_by`: every row of the
    newest delivery gets 1. A delivery is one file of one inbox month, so rows are ordered by
    the inbox month, then the file name to break a tie between two files of the same month.
    Expects the staging names of the raw metadata (`month_column`, `source_file_name`).
    Filter on the result in a later CTE (`qualify` is not portable).
-#}
{% macro latest_delivery_rank(partition_by=[], month_column='delivery_month') -%}
    dense_rank() over (
        {%- if partition_by %}
        partition by {{ partition_by | join(', ') }}
        {%- endif %}
        order by {{ month_column }} desc, source_file_name desc
    )
{%- endmacro %}
