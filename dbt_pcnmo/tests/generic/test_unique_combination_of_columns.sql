{#
    Passes when no two rows share the same values in `combination_of_columns`: the primary-key
    test for models whose grain is several columns. Pair it with not_null on each column (a
    null makes a "unique" combination meaningless). Written here because dbt packages
    (dbt_utils) cannot be installed on this project's machines.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with grouped as (

    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}

)

select *
from grouped
where row_count > 1

{% endtest %}
