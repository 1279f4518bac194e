{#-
    A yes/no field in any spelling the contract accepts (Y/N, Yes/No, True/False, 1/0, any
    case) as a boolean; blank stays null. Anything else is also null, so a not_null test on a
    required flag catches an unexpected spelling instead of silently reading it as false.
-#}
{% macro normalise_flag(column) -%}
    case
        when lower({{ clean_text(column) }}) in ('y', 'yes', 'true', '1') then true
        when lower({{ clean_text(column) }}) in ('n', 'no', 'false', '0') then false
    end
{%- endmacro %}
