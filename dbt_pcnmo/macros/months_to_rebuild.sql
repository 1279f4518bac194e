{#-
    Which months an incremental patient-month model computes: those on or after the var
    `rebuild_from` (the first month the run ingested, 'YYYY-MM-DD') when the model already
    exists, else every month (first build, `--full-refresh`, or no var given).
-#}
{% macro months_to_rebuild(column) -%}
    {%- set rebuild_from = var('rebuild_from', none) -%}
    {%- if is_incremental() and rebuild_from -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-01', rebuild_from | string) -%}
            {{ exceptions.raise_compiler_error(
                "var rebuild_from must be the first day of a month (YYYY-MM-01), not '" ~ rebuild_from ~ "'"
            ) }}
        {%- endif -%}
        {{ column }} >= cast('{{ rebuild_from }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#-
    The pre-hook of an incremental patient-month model: drop the months about to be computed
    again (appended after), so a month that now has fewer rows keeps none of its old ones.
-#}
{% macro delete_months_to_rebuild(column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ months_to_rebuild(column) }}
    {%- endif -%}
{%- endmacro %}
