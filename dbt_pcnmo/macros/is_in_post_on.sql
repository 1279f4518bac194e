{#  A staff member is in post on a date when they started on or before it and have not left
    before it (someone leaving on the day still counts). #}
{% macro is_in_post_on(staff, on_date) -%}
    {{ staff }}.start_date <= {{ on_date }}
    and ({{ staff }}.end_date is null or {{ staff }}.end_date >= {{ on_date }})
{%- endmacro %}
