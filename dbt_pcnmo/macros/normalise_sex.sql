{#-
    Administrative sex as one letter: EMIS Web writes Male/Female/Indeterminate/Unknown,
    SystmOne M/F/I/U, NHS Digital MALE/FEMALE. Result 'M', 'F', 'I' or 'U'; any other value
    (including NHS Digital's 'ALL' total) is null, for the caller to handle.
-#}
{% macro normalise_sex(column) -%}
    case
        when upper({{ clean_text(column) }}) in ('M', 'MALE') then 'M'
        when upper({{ clean_text(column) }}) in ('F', 'FEMALE') then 'F'
        when upper({{ clean_text(column) }}) in ('I', 'INDETERMINATE') then 'I'
        when upper({{ clean_text(column) }}) in ('U', 'UNKNOWN') then 'U'
    end
{%- endmacro %}
