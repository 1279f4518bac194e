{#
    A KPI's value in its unit (seed kpi_definitions.unit) from its numerator and denominator:
    a count is its numerator; otherwise numerator / denominator, x 100 for percent and
    x 10,000 for rate_per_10000, and null when the denominator is not positive. Unrounded:
    fct_kpi_values rounds it to the KPI's display_decimals.
#}
{% macro kpi_value(unit, numerator, denominator) -%}
    case
        when {{ unit }} = 'count' then cast({{ numerator }} as double)
        when {{ denominator }} > 0
            then
                case {{ unit }}
                    when 'percent' then 100.0
                    when 'rate_per_10000' then 10000.0
                    else 1.0
                end
                * cast({{ numerator }} as double) / cast({{ denominator }} as double)
    end
{%- endmacro %}
