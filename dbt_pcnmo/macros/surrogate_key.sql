{#-
    md5 of the given columns, each cast to text with nulls made explicit and joined with '|',
    the way dbt_utils.generate_surrogate_key does it (dbt packages cannot be installed here).
    Built from dbt's cross-database macros so it compiles on any adapter. The hex digits are
    then spelt as letters (0-9 -> g-p): a key must never contain a run of ten digits that
    passes the NHS number check, or a scan for leaked NHS numbers could not tell them apart.
-#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '_null_')") -%}
        {%- if not loop.last -%}
            {%- do parts.append("'|'") -%}
        {%- endif -%}
    {%- endfor -%}
    translate({{ dbt.hash(dbt.concat(parts)) }}, '0123456789', 'ghijklmnop')
{%- endmacro %}
