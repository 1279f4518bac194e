{#
    The target basis of a sum of targets (an aggregate): 'agreed' when every target summed is
    an agreed one (seed pcn_targets), 'default' when any of them is the default, null when
    none has a target basis (a KPI without a local target).
#}
{% macro combined_target_basis(column) -%}
    case
        when count({{ column }}) = 0 then null
        when count(case when {{ column }} = 'default' then 1 end) > 0 then 'default'
        else 'agreed'
    end
{%- endmacro %}
