{#
    The PINCER prescribing-safety indicators as OpenSAFELY implements them
    (opensafely/pincer-measures: analysis/study_definition.py, co_prescribing_variables.py,
    utilities.py co_prescription; docs/domain.md section 3.1), evaluated for every
    patient at the end of every snapshot month (the index date).

    Base population: registered on the index date (registered on or before it, neither
    deregistered nor dead on or before it) and aged min_age to max_age (18 to 120) on it. A
    patient who dies or leaves mid-month is not counted that month; a patient who moves
    practice counts at the practice holding them on the index date. Medicines and codes are
    the patient's whole record in the extracts (joined on patient_id, whichever practice
    issued or coded them), as GP2GP moves the record with the patient.

    Windows (months from seed pincer_indicator_rules) run back from the index date and
    include both end days, as cohort-extractor's `between` does: "3 months" at 30 September
    is 30 June to 30 September. Month arithmetic clips to the month end (31 May - 3 months
    is 28 February).
    * A: age 65+, no ulcer-healing drug (gastroprotection) in 3 m; hazard + oral NSAID in 3 m.
    * B: peptic ulcer or GI bleed code on or before index - 3 m, no ulcer-healing drug in 3 m;
      hazard + oral NSAID in 3 m. C: same denominator; hazard + aspirin or another
      antiplatelet in 3 m.
    * D: oral anticoagulant in 3 m; hazard + oral NSAID in 3 m.
    * E: oral anticoagulant in 3 m, no ulcer-healing drug; hazard when an antiplatelet
      (aspirin or other) was issued in the 3 m less than co_prescription_days (28) days from
      an anticoagulant issue. F: aspirin in 3 m, no ulcer-healing drug; hazard when a
      non-aspirin antiplatelet was issued less than 28 days from an aspirin issue.
    * G: latest asthma code on or before index - 3 m, and no asthma-resolved code (162660004)
      on or before the index date dated after it (a resolved code on the asthma code's own
      day does not resolve it, as OpenSAFELY's `asthma_resolved_date <= asthma_date`);
      hazard + non-selective beta-blocker in 3 m. The numerator keeps the denominator's
      rule (OpenSAFELY's numerator drops the re-diagnosed patients; not copied).
    * I: heart failure code on or before index - 3 m; hazard + oral NSAID in 3 m.
    * K: latest eGFR on or before index - 3 m (the lowest if several that day) with
      egfr_at_least <= value < egfr_below, its comparator not '>', '>=' or '~', and not '<1';
      hazard + oral NSAID in 3 m.
    * AC: age 75+ AND (ACE inhibitor first issued on or before index - 15 m and issued in the
      last 6 m, OR loop diuretic likewise): the age filter applies to both branches (the
      cohort-extractor denominator's AND/OR precedence applied it to the ACE inhibitor
      branch only; not copied). Hazard: no renal function test OR no electrolytes test in
      15 m. "First issued" is the first issue in the extracts, so AC needs 15 months of
      issue history.
    * ME: methotrexate issued in [index - 6 m, index - 3 m] and in [index - 3 m, index];
      ME_FBC hazard: no full blood count in 3 m; ME_LFT hazard: no liver function test in
      3 m, from the LFT list (the ehrQL version reuses the FBC list; not copied).
    * LI: lithium in [index - 6 m, index - 3 m] and [index - 3 m, index]; hazard: no lithium
      level in 3 m (a clinical event, as cohort-extractor looks for it; the ehrQL port
      looks among medications, not copied).
    * AM: amiodarone in [index - 12 m, index - 6 m] and [index - 6 m, index]; hazard: no
      thyroid function test in 6 m.
    Drug groups come from seed bnf_drug_groups (by BNF prefix), codes from seed
    snomed_codelists (pincer_* lists). Only patient-months in at least one denominator are
    kept.
#}
{{ config(
    incremental_strategy='append',
    pre_hook="{{ delete_months_to_rebuild('month_start_date') }}",
) }}
{%- set indicators = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'i', 'k', 'ac', 'me', 'li', 'am'] %}

with

rules as (

    select
        cast({{ cohort_rule('all', 'min_age') }} as integer) as min_age,
        cast({{ cohort_rule('all', 'max_age') }} as integer) as max_age,
        cast({{ cohort_rule('all', 'drug_window_months') }} as integer) as drug_window_months,
        cast({{ cohort_rule('all', 'diagnosis_lag_months') }} as integer) as diagnosis_lag_months,
        cast({{ cohort_rule('A', 'min_age') }} as integer) as a_min_age,
        cast({{ cohort_rule('E', 'co_prescription_days') }} as integer) as e_co_prescription_days,
        cast({{ cohort_rule('F', 'co_prescription_days') }} as integer) as f_co_prescription_days,
        {{ cohort_rule('K', 'egfr_at_least') }} as k_egfr_at_least,
        {{ cohort_rule('K', 'egfr_below') }} as k_egfr_below,
        cast({{ cohort_rule('AC', 'min_age') }} as integer) as ac_min_age,
        cast({{ cohort_rule('AC', 'established_months') }} as integer) as ac_established_months,
        cast({{ cohort_rule('AC', 'recent_months') }} as integer) as ac_recent_months,
        cast({{ cohort_rule('AC', 'test_window_months') }} as integer) as ac_test_window_months,
        cast({{ cohort_rule('ME', 'earlier_window_months') }} as integer) as me_earlier_window_months,
        cast({{ cohort_rule('ME', 'test_window_months') }} as integer) as me_test_window_months,
        cast({{ cohort_rule('LI', 'earlier_window_months') }} as integer) as li_earlier_window_months,
        cast({{ cohort_rule('LI', 'test_window_months') }} as integer) as li_test_window_months,
        cast({{ cohort_rule('AM', 'earlier_window_months') }} as integer) as am_earlier_window_months,
        cast({{ cohort_rule('AM', 'recent_months') }} as integer) as am_recent_months,
        cast({{ cohort_rule('AM', 'test_window_months') }} as integer) as am_test_window_months
    from {{ ref('pincer_indicator_rules') }}

),

patients as (

    select
        practice_code,
        patient_id,
        snapshot_month as month_start_date,
        {{ month_end_date('snapshot_month') }} as index_date,
        birth_date,
        registration_date,
        deregistration_date,
        death_date
    from {{ ref('stg_clinical__patients') }}
    where {{ months_to_rebuild('snapshot_month') }}

),

{#- Window start days, one column per distinct window (both ends included). #}
patient_months as (

    select
        patients.practice_code,
        patients.patient_id,
        patients.month_start_date,
        patients.index_date,
        {{ age_in_years('patients.birth_date', 'patients.index_date') }} as age,
        {% for name, months in [
            ('drug_window_start', 'rules.drug_window_months'),
            ('diagnosis_cutoff', 'rules.diagnosis_lag_months'),
            ('ac_established_cutoff', 'rules.ac_established_months'),
            ('ac_recent_start', 'rules.ac_recent_months'),
            ('ac_test_start', 'rules.ac_test_window_months'),
            ('me_earlier_start', 'rules.me_earlier_window_months'),
            ('me_test_start', 'rules.me_test_window_months'),
            ('li_earlier_start', 'rules.li_earlier_window_months'),
            ('li_test_start', 'rules.li_test_window_months'),
            ('am_earlier_start', 'rules.am_earlier_window_months'),
            ('am_recent_start', 'rules.am_recent_months'),
            ('am_test_start', 'rules.am_test_window_months'),
        ] %}
        cast({{ dbt.dateadd('month', '-1 * ' ~ months, 'patients.index_date') }} as date) as {{ name }},
        {% endfor %}
        rules.a_min_age,
        rules.ac_min_age,
        rules.e_co_prescription_days,
        rules.f_co_prescription_days,
        rules.k_egfr_at_least,
        rules.k_egfr_below
    from patients
    cross join rules
    where
        patients.registration_date <= patients.index_date
        and (patients.deregistration_date is null or patients.deregistration_date > patients.index_date)
        and (patients.death_date is null or patients.death_date > patients.index_date)
        and {{ age_in_years('patients.birth_date', 'patients.index_date') }}
        between rules.min_age and rules.max_age

),

-- medicines: the drug groups' issues, one row per patient x group x issue day

drug_issues as (

    select
        patient_id,
        drug_group,
        issue_date
    from {{ ref('int_medication_issues_classified_to_drug_groups') }}
    where drug_group in (
        'oral_nsaid', 'gastroprotection', 'oral_anticoagulant', 'aspirin', 'other_antiplatelet',
        'non_selective_beta_blocker', 'ace_inhibitor', 'loop_diuretic', 'methotrexate',
        'lithium', 'amiodarone'
    )

),

first_issues as (

    select
        patient_id,
        drug_group,
        min(issue_date) as first_issue_date
    from drug_issues
    group by patient_id, drug_group

),

drugs_by_month as (

    select
        patient_months.practice_code,
        patient_months.patient_id,
        patient_months.month_start_date,
        {% for group in [
            'oral_nsaid', 'gastroprotection', 'oral_anticoagulant', 'aspirin',
            'other_antiplatelet', 'non_selective_beta_blocker', 'methotrexate', 'lithium',
        ] %}
        max(case
            when drug_issues.drug_group = '{{ group }}'
                and drug_issues.issue_date >= patient_months.drug_window_start then 1
            else 0
        end) = 1 as has_{{ group }}_in_drug_window,
        {% endfor %}
        {% for group in ['ace_inhibitor', 'loop_diuretic'] %}
        max(case
            when drug_issues.drug_group = '{{ group }}'
                and drug_issues.issue_date >= patient_months.ac_recent_start then 1
            else 0
        end) = 1 as has_{{ group }}_in_ac_recent_window,
        {% endfor %}
        max(case
            when drug_issues.drug_group = 'methotrexate'
                and drug_issues.issue_date between patient_months.me_earlier_start and patient_months.drug_window_start
                then 1
            else 0
        end) = 1 as has_methotrexate_in_earlier_window,
        max(case
            when drug_issues.drug_group = 'lithium'
                and drug_issues.issue_date between patient_months.li_earlier_start and patient_months.drug_window_start
                then 1
            else 0
        end) = 1 as has_lithium_in_earlier_window,
        max(case
            when drug_issues.drug_group = 'amiodarone'
                and drug_issues.issue_date between patient_months.am_earlier_start and patient_months.am_recent_start
                then 1
            else 0
        end) = 1 as has_amiodarone_in_earlier_window,
        max(case
            when drug_issues.drug_group = 'amiodarone'
                and drug_issues.issue_date >= patient_months.am_recent_start then 1
            else 0
        end) = 1 as has_amiodarone_in_recent_window
    from patient_months
    inner join drug_issues
        on
            patient_months.patient_id = drug_issues.patient_id
            and drug_issues.issue_date <= patient_months.index_date
            and drug_issues.issue_date >= least(
                patient_months.am_earlier_start,
                patient_months.me_earlier_start,
                patient_months.li_earlier_start,
                patient_months.ac_recent_start,
                patient_months.drug_window_start
            )
    group by patient_months.practice_code, patient_months.patient_id, patient_months.month_start_date

),

{#- E and F: pairs of issues less than the co-prescription days apart (either order). #}
co_prescribed_pairs as (

    select
        first_drug.patient_id,
        case when first_drug.drug_group = 'oral_anticoagulant' then 'e' else 'f' end as indicator,
        first_drug.issue_date as first_issue_date,
        second_drug.issue_date as second_issue_date
    from drug_issues as first_drug
    inner join drug_issues as second_drug
        on
            first_drug.patient_id = second_drug.patient_id
            and (
                (
                    first_drug.drug_group = 'oral_anticoagulant'
                    and second_drug.drug_group in ('aspirin', 'other_antiplatelet')
                )
                or (first_drug.drug_group = 'aspirin' and second_drug.drug_group = 'other_antiplatelet')
            )

),

co_prescribed_by_month as (

    select
        patient_months.practice_code,
        patient_months.patient_id,
        patient_months.month_start_date,
        max(case
            when co_prescribed_pairs.indicator = 'e'
                and abs({{ dbt.datediff('co_prescribed_pairs.first_issue_date', 'co_prescribed_pairs.second_issue_date', 'day') }})
                < patient_months.e_co_prescription_days then 1
            else 0
        end) = 1 as has_anticoagulant_and_antiplatelet_co_prescribed,
        max(case
            when co_prescribed_pairs.indicator = 'f'
                and abs({{ dbt.datediff('co_prescribed_pairs.first_issue_date', 'co_prescribed_pairs.second_issue_date', 'day') }})
                < patient_months.f_co_prescription_days then 1
            else 0
        end) = 1 as has_aspirin_and_other_antiplatelet_co_prescribed
    from patient_months
    inner join co_prescribed_pairs
        on
            patient_months.patient_id = co_prescribed_pairs.patient_id
            and co_prescribed_pairs.first_issue_date between patient_months.drug_window_start and patient_months.index_date
            and co_prescribed_pairs.second_issue_date between patient_months.drug_window_start and patient_months.index_date
    group by patient_months.practice_code, patient_months.patient_id, patient_months.month_start_date

),

-- clinical codes: diagnoses, eGFR and monitoring tests

codelists as (

    select
        codelist_id,
        snomed_code
    from {{ ref('snomed_codelists') }}
    where codelist_id in (
        'pincer_peptic_ulcer', 'pincer_gi_bleed', 'pincer_asthma', 'pincer_asthma_resolved',
        'pincer_heart_failure', 'pincer_egfr', 'pincer_renal', 'pincer_electrolytes',
        'pincer_fbc', 'pincer_lft', 'pincer_lithium_level', 'pincer_tft'
    )

),

coded_events as (

    select
        events.patient_id,
        codelists.codelist_id,
        events.event_date,
        events.result_value,
        events.result_comparator
    from {{ ref('stg_clinical__events') }} as events
    inner join codelists
        on events.snomed_code = codelists.snomed_code

),

codes_by_month as (

    select
        patient_months.practice_code,
        patient_months.patient_id,
        patient_months.month_start_date,
        max(case
            when coded_events.codelist_id in ('pincer_peptic_ulcer', 'pincer_gi_bleed')
                and coded_events.event_date <= patient_months.diagnosis_cutoff then 1
            else 0
        end) = 1 as has_peptic_ulcer_or_gi_bleed,
        max(case
            when coded_events.codelist_id = 'pincer_heart_failure'
                and coded_events.event_date <= patient_months.diagnosis_cutoff then 1
            else 0
        end) = 1 as has_heart_failure,
        max(case
            when coded_events.codelist_id = 'pincer_asthma'
                and coded_events.event_date <= patient_months.diagnosis_cutoff
                then coded_events.event_date
        end) as latest_asthma_date,
        max(case
            when coded_events.codelist_id = 'pincer_asthma_resolved' then coded_events.event_date
        end) as latest_asthma_resolved_date,
        {% for codelist, start in [
            ('pincer_renal', 'ac_test_start'),
            ('pincer_electrolytes', 'ac_test_start'),
            ('pincer_fbc', 'me_test_start'),
            ('pincer_lft', 'me_test_start'),
            ('pincer_lithium_level', 'li_test_start'),
            ('pincer_tft', 'am_test_start'),
        ] %}
        max(case
            when coded_events.codelist_id = '{{ codelist }}'
                and coded_events.event_date >= patient_months.{{ start }} then 1
            else 0
        end) = 1 as has_{{ codelist | replace('pincer_', '') }}_test{{ ',' if not loop.last }}
        {% endfor %}
    from patient_months
    inner join coded_events
        on
            patient_months.patient_id = coded_events.patient_id
            and coded_events.event_date <= patient_months.index_date
            and coded_events.codelist_id != 'pincer_egfr'
    group by patient_months.practice_code, patient_months.patient_id, patient_months.month_start_date

),

egfr_ranked as (

    select
        patient_months.practice_code,
        patient_months.patient_id,
        patient_months.month_start_date,
        coded_events.result_value,
        coded_events.result_comparator,
        row_number() over (
            partition by patient_months.practice_code, patient_months.patient_id, patient_months.month_start_date
            order by coded_events.event_date desc, coded_events.result_value asc
        ) as recency_rank
    from patient_months
    inner join coded_events
        on
            patient_months.patient_id = coded_events.patient_id
            and coded_events.codelist_id = 'pincer_egfr'
            and coded_events.event_date <= patient_months.diagnosis_cutoff
            and coded_events.result_value is not null

),

latest_egfr as (

    select * from egfr_ranked
    where recency_rank = 1

),

joined as (

    select
        patient_months.practice_code,
        patient_months.patient_id,
        patient_months.month_start_date,
        patient_months.index_date,
        patient_months.age,
        patient_months.a_min_age,
        patient_months.ac_min_age,
        patient_months.ac_established_cutoff,
        patient_months.k_egfr_at_least,
        patient_months.k_egfr_below,
        {% for column in [
            'has_oral_nsaid_in_drug_window', 'has_gastroprotection_in_drug_window',
            'has_oral_anticoagulant_in_drug_window', 'has_aspirin_in_drug_window',
            'has_other_antiplatelet_in_drug_window', 'has_non_selective_beta_blocker_in_drug_window',
            'has_methotrexate_in_drug_window', 'has_lithium_in_drug_window',
            'has_ace_inhibitor_in_ac_recent_window', 'has_loop_diuretic_in_ac_recent_window',
            'has_methotrexate_in_earlier_window', 'has_lithium_in_earlier_window',
            'has_amiodarone_in_earlier_window', 'has_amiodarone_in_recent_window',
        ] %}
        coalesce(drugs_by_month.{{ column }}, false) as {{ column }},
        {% endfor %}
        coalesce(co_prescribed_by_month.has_anticoagulant_and_antiplatelet_co_prescribed, false)
            as has_anticoagulant_and_antiplatelet_co_prescribed,
        coalesce(co_prescribed_by_month.has_aspirin_and_other_antiplatelet_co_prescribed, false)
            as has_aspirin_and_other_antiplatelet_co_prescribed,
        ace_inhibitor_first.first_issue_date as ace_inhibitor_first_issue_date,
        loop_diuretic_first.first_issue_date as loop_diuretic_first_issue_date,
        coalesce(codes_by_month.has_peptic_ulcer_or_gi_bleed, false) as has_peptic_ulcer_or_gi_bleed,
        coalesce(codes_by_month.has_heart_failure, false) as has_heart_failure,
        codes_by_month.latest_asthma_date,
        codes_by_month.latest_asthma_resolved_date,
        {% for test in ['renal', 'electrolytes', 'fbc', 'lft', 'lithium_level', 'tft'] %}
        coalesce(codes_by_month.has_{{ test }}_test, false) as has_{{ test }}_test,
        {% endfor %}
        latest_egfr.result_value as latest_egfr_value,
        latest_egfr.result_comparator as latest_egfr_comparator
    from patient_months
    left join drugs_by_month
        on
            patient_months.practice_code = drugs_by_month.practice_code
            and patient_months.patient_id = drugs_by_month.patient_id
            and patient_months.month_start_date = drugs_by_month.month_start_date
    left join co_prescribed_by_month
        on
            patient_months.practice_code = co_prescribed_by_month.practice_code
            and patient_months.patient_id = co_prescribed_by_month.patient_id
            and patient_months.month_start_date = co_prescribed_by_month.month_start_date
    left join first_issues as ace_inhibitor_first
        on
            patient_months.patient_id = ace_inhibitor_first.patient_id
            and ace_inhibitor_first.drug_group = 'ace_inhibitor'
    left join first_issues as loop_diuretic_first
        on
            patient_months.patient_id = loop_diuretic_first.patient_id
            and loop_diuretic_first.drug_group = 'loop_diuretic'
    left join codes_by_month
        on
            patient_months.practice_code = codes_by_month.practice_code
            and patient_months.patient_id = codes_by_month.patient_id
            and patient_months.month_start_date = codes_by_month.month_start_date
    left join latest_egfr
        on
            patient_months.practice_code = latest_egfr.practice_code
            and patient_months.patient_id = latest_egfr.patient_id
            and patient_months.month_start_date = latest_egfr.month_start_date

),

denominators as (

    select
        *,
        age >= a_min_age and not has_gastroprotection_in_drug_window as is_in_a_denominator,
        has_peptic_ulcer_or_gi_bleed and not has_gastroprotection_in_drug_window as is_in_b_denominator,
        has_peptic_ulcer_or_gi_bleed and not has_gastroprotection_in_drug_window as is_in_c_denominator,
        has_oral_anticoagulant_in_drug_window as is_in_d_denominator,
        has_oral_anticoagulant_in_drug_window and not has_gastroprotection_in_drug_window
            as is_in_e_denominator,
        has_aspirin_in_drug_window and not has_gastroprotection_in_drug_window as is_in_f_denominator,
        latest_asthma_date is not null
        and (latest_asthma_resolved_date is null or latest_asthma_resolved_date <= latest_asthma_date)
            as is_in_g_denominator,
        has_heart_failure as is_in_i_denominator,
        coalesce(
            latest_egfr_value >= k_egfr_at_least
            and latest_egfr_value < k_egfr_below
            and coalesce(latest_egfr_comparator, '=') not in ('>', '>=', '~')
            and not (latest_egfr_value = k_egfr_at_least and latest_egfr_comparator = '<'),
            false
        ) as is_in_k_denominator,
        age >= ac_min_age
        and (
            (
                coalesce(ace_inhibitor_first_issue_date <= ac_established_cutoff, false)
                and has_ace_inhibitor_in_ac_recent_window
            )
            or (
                coalesce(loop_diuretic_first_issue_date <= ac_established_cutoff, false)
                and has_loop_diuretic_in_ac_recent_window
            )
        ) as is_in_ac_denominator,
        has_methotrexate_in_earlier_window and has_methotrexate_in_drug_window as is_in_me_denominator,
        has_lithium_in_earlier_window and has_lithium_in_drug_window as is_in_li_denominator,
        has_amiodarone_in_earlier_window and has_amiodarone_in_recent_window as is_in_am_denominator
    from joined

),

flagged as (

    select
        {{ surrogate_key(['practice_code', 'patient_id', 'month_start_date']) }} as patient_month_id,
        practice_code,
        patient_id,
        month_start_date,
        index_date,
        age,
        {% for indicator in indicators %}
        is_in_{{ indicator }}_denominator,
        {% endfor %}
        is_in_a_denominator and has_oral_nsaid_in_drug_window as has_a_hazard,
        is_in_b_denominator and has_oral_nsaid_in_drug_window as has_b_hazard,
        is_in_c_denominator
        and (has_aspirin_in_drug_window or has_other_antiplatelet_in_drug_window) as has_c_hazard,
        is_in_d_denominator and has_oral_nsaid_in_drug_window as has_d_hazard,
        is_in_e_denominator and has_anticoagulant_and_antiplatelet_co_prescribed as has_e_hazard,
        is_in_f_denominator and has_aspirin_and_other_antiplatelet_co_prescribed as has_f_hazard,
        is_in_g_denominator and has_non_selective_beta_blocker_in_drug_window as has_g_hazard,
        is_in_i_denominator and has_oral_nsaid_in_drug_window as has_i_hazard,
        is_in_k_denominator and has_oral_nsaid_in_drug_window as has_k_hazard,
        is_in_ac_denominator and (not has_renal_test or not has_electrolytes_test) as has_ac_hazard,
        is_in_me_denominator and not has_fbc_test as has_me_fbc_hazard,
        is_in_me_denominator and not has_lft_test as has_me_lft_hazard,
        is_in_li_denominator and not has_lithium_level_test as has_li_hazard,
        is_in_am_denominator and not has_tft_test as has_am_hazard
    from denominators

),

final as (

    select * from flagged
    where
        {% for indicator in indicators %}
        is_in_{{ indicator }}_denominator{{ ' or' if not loop.last }}
        {% endfor %}

)

select * from final
