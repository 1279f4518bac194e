{#
    Use a folder's custom schema (`+schema: staging`) exactly as written, instead of dbt's
    default `<target_schema>_<custom_schema>`. Dev/CI isolation comes from pointing
    PCNMO_DUCKDB_PATH at a different DuckDB file, never from schema prefixes, so the asset
    keys dagster-dbt derives ([schema, model]) are the same in every environment.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
