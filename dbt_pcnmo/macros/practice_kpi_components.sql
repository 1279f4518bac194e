{#-
    The rows of a practice KPI component model, in the shape the KPI rollup
    (int_kpi_components_rolled_up_to_organisations) reads: the union of `ctes`, each with
    period_id, practice_code, pcn_code, kpi_id, numerator and denominator, the figures as
    double and target_basis null, for a KPI family without local targets.
-#}
{% macro practice_kpi_components(ctes) -%}
    {%- for cte in ctes %}
    select
        period_id,
        practice_code,
        pcn_code,
        kpi_id,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        cast(null as varchar) as target_basis
    from {{ cte }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
