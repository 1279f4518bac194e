{#
    A non-integer quantity (pounds, ASTRO-PU, a phased target, patient-years) as an exact
    decimal, cast before it is summed. DuckDB adds a column's rows in whatever order its
    threads finish, and floating-point addition depends on that order (1.0 one run,
    1.0000000000000002 the next); a decimal sum is exact, so the same inputs give the same
    bytes on every run and every thread count. Row-by-row arithmetic in double is
    deterministic and may stay double; only sums (and averages) need this.
#}
{% macro exact_decimal(expression) -%}
    cast({{ expression }} as decimal(38, 10))
{%- endmacro %}
