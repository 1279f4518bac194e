{#-
    Which months an incremental patient-month model computes: those on or after the var
    `rebuild_from` (the first month the run ingested, 'YYYY-MM-DD'; else the environment
    variable PCNMO_REBUILD_FROM) when the model already exists, else every month (first build,
    `--full-refresh`, or neither given).
-#}
{% macro months_to_rebuild(column) -%}
    {#- Dagster passes it in the environment: a changed var makes dbt parse the whole project
        again, a changed environment variable only the models that read it. -#}
    {%- set rebuild_from = var('rebuild_from', env_var('PCNMO_REBUILD_FROM', '')) or none -%}
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

{#-
    An incremental staging model that keeps only the newest delivery of each natural key
    (events, medication issues) recomputes just the keys a rebuild from `rebuild_from` can
    change: those it holds from the months rebuilt (set aside, then deleted, by the pre-hook
    `set_aside_keys_to_rebuild`) and those the months rebuilt deliver (`keys_to_rebuild`).
    Its delete+insert on the natural key then replaces the older rows of the keys delivered
    again; `drop_keys_to_rebuild` tidies up after.
-#}
{% macro keys_to_rebuild_table() -%}
    {{ this.schema }}.{{ this.identifier }}__keys_to_rebuild
{%- endmacro %}

{% macro set_aside_keys_to_rebuild(natural_key, month_column='delivery_month') -%}
    {%- if is_incremental() -%}
        create or replace table {{ keys_to_rebuild_table() }} as
        select distinct {{ natural_key | join(', ') }}
        from {{ this }}
        where {{ months_to_rebuild(month_column) }};
        delete from {{ this }} where {{ months_to_rebuild(month_column) }}
    {%- endif -%}
{%- endmacro %}

{% macro keys_to_rebuild(cte, natural_key, month_column='delivery_month') -%}
    select {{ natural_key | join(', ') }}
    from {{ cte }}
    where {{ months_to_rebuild(month_column) }}
    union
    select {{ natural_key | join(', ') }}
    from {{ keys_to_rebuild_table() }}
{%- endmacro %}

{#-
    The delivered rows of `cte` ranked for such a model: delivery_rank (1 for every row of the
    newest delivery of its natural key) and occurrence (its number among the rows sharing the
    key within one file). An incremental run reads only the keys to rebuild; the window then
    sees every delivery of each key it reads, so the ranks are those a full build gives.
-#}
{% macro deliveries_ranked_by_natural_key(cte, natural_key, month_column='delivery_month') -%}
    select
        *,
        {{ latest_delivery_rank(natural_key, month_column) }} as delivery_rank,
        {{ occurrence_in_delivery(natural_key) }} as occurrence
    from {{ cte }}
    {%- if is_incremental() %}
    where exists (
        select 1
        from ({{ keys_to_rebuild(cte, natural_key, month_column) }}) as keys_to_rebuild
        where
            {%- for column in natural_key %}
            {{ 'and ' if not loop.first }}{{ cte }}.{{ column }} = keys_to_rebuild.{{ column }}
            {%- endfor %}
    )
    {%- endif %}
{%- endmacro %}

{% macro drop_keys_to_rebuild() -%}
    {%- if is_incremental() -%}
        drop table if exists {{ keys_to_rebuild_table() }}
    {%- endif -%}
{%- endmacro %}
