{#-
    Medication issue type across dialects: EMIS Web writes Acute/Repeat/Repeat Dispensing,
    SystmOne A/R/RD. Result 'acute', 'repeat' or 'repeat_dispensing'; anything else is null.
-#}
{% macro normalise_issue_type(column) -%}
    case
        when upper({{ clean_text(column) }}) in ('A', 'ACUTE') then 'acute'
        when upper({{ clean_text(column) }}) in ('R', 'REPEAT') then 'repeat'
        when upper({{ clean_text(column) }}) in ('RD', 'REPEAT DISPENSING') then 'repeat_dispensing'
    end
{%- endmacro %}
