{#-
    The raw metadata every staging model carries through, renamed to project conventions
    (the inbox month is named per model: snapshot_month or delivery_month). Emits a select
    list without a trailing comma, so put it last in the list.
-#}
{% macro source_lineage_columns() -%}
    _source_file as source_file_name,
        _source_row as source_row_number,
        _dialect as source_dialect,
        _loaded_at as loaded_at
{%- endmacro %}
