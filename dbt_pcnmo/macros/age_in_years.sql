{#
    Completed years of age on a date: the difference in calendar years, less one when the
    birthday has not yet come round that year. (A year-boundary datediff would make someone
    born on 31 December a year old on 1 January.)
#}
{% macro age_in_years(birth_date, on_date) -%}
    (
        extract(year from {{ on_date }}) - extract(year from {{ birth_date }})
        - case
            when extract(month from {{ on_date }}) * 100 + extract(day from {{ on_date }})
                < extract(month from {{ birth_date }}) * 100 + extract(day from {{ birth_date }})
                then 1
            else 0
        end
    )
{%- endmacro %}
