{#
    int_medication_issues_classified_to_new_starts joins issues to seed
    formulary_first_line_choices on the first 9 characters of the BNF code (the chemical
    substance): a prefix of any other length would silently match nothing.
#}
select
    therapeutic_class,
    bnf_prefix
from {{ ref('formulary_first_line_choices') }}
where length(bnf_prefix) != 9
