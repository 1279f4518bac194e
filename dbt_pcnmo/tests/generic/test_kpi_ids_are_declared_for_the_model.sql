{#
    Passes when every KPI id a component model emits is declared in seed kpi_definitions with
    this model as its component_model: the seed is the registry, so a component cannot
    produce a KPI the dictionary does not describe, or one the dictionary says another model
    produces. Rows returned are the undeclared ids.
#}
{% test kpi_ids_are_declared_for_the_model(model, column_name) %}

with

emitted as (

    select distinct {{ column_name }} as kpi_id
    from {{ model }}

),

declared as (

    select kpi_id
    from {{ ref('kpi_definitions') }}
    where component_model = '{{ model.identifier }}'

)

select emitted.kpi_id
from emitted
left join declared
    on emitted.kpi_id = declared.kpi_id
where declared.kpi_id is null

{% endtest %}
