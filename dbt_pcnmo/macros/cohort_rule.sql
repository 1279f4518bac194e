{#
    One parameter of seed cohort_rules as a column: an aggregate over the seed, so
    `select {{ cohort_rule('polypharmacy', 'lookback_months') }} as ... from ref('cohort_rules')`
    gives one row holding every parameter a model needs. Numbers live in the seed, never in SQL.
#}
{% macro cohort_rule(rule_id, parameter) -%}
    max(case when rule_id = '{{ rule_id }}' and parameter = '{{ parameter }}' then value end)
{%- endmacro %}
