{#  One row per PCN: the last day of the latest month the PCN's local log (a staging model with
    pcn_code and snapshot_month) has been delivered for. Periods ending after it have no data
    yet rather than zero, because work done but not yet logged is not missing. #}
{% macro log_covered_to_dates(relation, as_column='covered_to_date') -%}
    select
        pcn_code,
        {{ month_end_date('max(snapshot_month)') }} as {{ as_column }}
    from {{ relation }}
    group by pcn_code
{%- endmacro %}
