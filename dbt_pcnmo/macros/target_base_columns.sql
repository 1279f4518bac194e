{#
    Which column of fct_smr_cohort_monthly each locally targeted KPI's target is sized on:
    the DES cohort for all SMRs (CA01; CA02 phases the same target), each cohort's own count
    for its delivery KPI (DA03 to DA08), the registered list for the titration clinics (CA06
    to CA09). int_practice_months_sized_for_targets reads it, so the default target and the
    practice shares read the same column.
#}
{% macro target_base_columns() -%}
    {{ return({
        'CA01': 'des_cohort_patients',
        'DA03': 'care_home_patients',
        'DA04': 'learning_disability_patients',
        'DA05': 'complex_polypharmacy_patients',
        'DA06': 'medication_harm_risk_patients',
        'DA07': 'severe_frailty_patients',
        'DA08': 'potentially_addictive_medicines_patients',
        'CA06': 'registered_patients',
        'CA07': 'registered_patients',
        'CA08': 'registered_patients',
        'CA09': 'registered_patients',
    }) }}
{%- endmacro %}
