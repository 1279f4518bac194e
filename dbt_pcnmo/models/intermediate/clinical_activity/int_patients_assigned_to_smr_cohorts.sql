{#
    The Network Contract DES structured medication review (SMR) priority cohorts, as at the
    end of each snapshot month, for patients registered that day (registered on or before it,
    and neither deregistered nor dead on or before it). Numbers come from seed cohort_rules,
    drug groups from seed bnf_drug_groups, codes from seed snomed_codelists.

    * care home: the extract's care-home flag, or a care-home residence ("Lives in ...") code
      on or before the month end;
    * learning disability: the extract's LD register flag, or an LD code;
    * polypharmacy: current repeat medicines >= min_repeat_medicines
      (int_medication_issues_summarised_to_patient_months defines "current");
    * severe frailty: an original eFI score (version efi, or none stated) above
      efi_score_above, or the latest frailty code on or before the month end is severe
      frailty. An eFI2 score is not held against that cut-off, which belongs to the original
      eFI, and eFI2 publishes none of its own: has_unassessed_efi2_score marks the patients
      whose frailty rests on their codes alone for that reason;
    * potentially addictive medicines: issued on at least min_issue_occasions days in the
      window, or on a current repeat;
    * at risk of medication harm: the IIF 2022/23 SMR-01A definition (docs/domain.md 1.3), which
      is the PINCER prescribing hazards A, B, C, D, E, F, G, I and K at the month end, as
      int_pincer_hazards_flagged_to_patient_months computes them (OpenSAFELY's windows,
      ages 18 to 120; E and F need the two drugs issued less than 28 days apart).
    Exclusions: on the end-of-life register; an SMR-declined code from 1 April of the month's
    financial year to the month end.
#}
{{ config(
    incremental_strategy='append',
    pre_hook="{{ delete_months_to_rebuild('month_start_date') }}",
) }}
with

rules as (

    select
        {{ cohort_rule('polypharmacy', 'min_repeat_medicines') }} as min_repeat_medicines,
        {{ cohort_rule('severe_frailty', 'efi_score_above') }} as severe_efi_score_above,
        {{ cohort_rule('addictive_medicines', 'min_issue_occasions') }} as min_addictive_issue_days
    from {{ ref('cohort_rules') }}

),

patients as (

    select
        practice_code,
        patient_id,
        snapshot_month as month_start_date,
        {{ month_end_date('snapshot_month') }} as month_end_date,
        birth_date,
        registration_date,
        deregistration_date,
        death_date,
        electronic_frailty_index_score,
        coalesce(electronic_frailty_index_version, 'efi') as electronic_frailty_index_version,
        is_care_home_resident,
        has_learning_disability,
        is_end_of_life
    from {{ ref('stg_clinical__patients') }}
    where {{ months_to_rebuild('snapshot_month') }}

),

registered as (

    select
        *,
        {{ age_in_years('birth_date', 'month_end_date') }} as age_at_month_end,
        {{ financial_year_start_date('month_start_date') }} as financial_year_start_date
    from patients
    where
        registration_date <= month_end_date
        and (deregistration_date is null or deregistration_date > month_end_date)
        and (death_date is null or death_date > month_end_date)

),

codelists as (

    select
        codelist_id,
        snomed_code
    from {{ ref('snomed_codelists') }}
    where codelist_id in (
        'frailty', 'severe_frailty', 'care_home_residence', 'learning_disability', 'smr_declined'
    )

),

coded_events as (

    select
        events.practice_code,
        events.patient_id,
        events.event_date,
        codelists.codelist_id
    from {{ ref('stg_clinical__events') }} as events
    inner join codelists
        on events.snomed_code = codelists.snomed_code

),

frailty_codes as (

    select
        frailty.practice_code,
        frailty.patient_id,
        frailty.event_date,
        max(case when severe.codelist_id is not null then 1 else 0 end) as is_severe
    from coded_events as frailty
    left join coded_events as severe
        on
            frailty.practice_code = severe.practice_code
            and frailty.patient_id = severe.patient_id
            and frailty.event_date = severe.event_date
            and severe.codelist_id = 'severe_frailty'
    where frailty.codelist_id = 'frailty'
    group by frailty.practice_code, frailty.patient_id, frailty.event_date

),

latest_frailty_code as (

    select
        registered.practice_code,
        registered.patient_id,
        registered.month_start_date,
        frailty_codes.is_severe,
        row_number() over (
            partition by registered.practice_code, registered.patient_id, registered.month_start_date
            order by frailty_codes.event_date desc
        ) as recency_rank
    from registered
    inner join frailty_codes
        on
            registered.practice_code = frailty_codes.practice_code
            and registered.patient_id = frailty_codes.patient_id
            and frailty_codes.event_date <= registered.month_end_date

),

codes_by_month as (

    select
        registered.practice_code,
        registered.patient_id,
        registered.month_start_date,
        max(case when coded_events.codelist_id = 'care_home_residence' then 1 else 0 end) = 1
            as has_care_home_residence_code,
        max(case when coded_events.codelist_id = 'learning_disability' then 1 else 0 end) = 1
            as has_learning_disability_code,
        max(case
            when
                coded_events.codelist_id = 'smr_declined'
                and coded_events.event_date >= registered.financial_year_start_date
                then 1
            else 0
        end) = 1 as has_declined_smr
    from registered
    inner join coded_events
        on
            registered.practice_code = coded_events.practice_code
            and registered.patient_id = coded_events.patient_id
            and coded_events.event_date <= registered.month_end_date
            and coded_events.codelist_id in ('care_home_residence', 'learning_disability', 'smr_declined')
    group by registered.practice_code, registered.patient_id, registered.month_start_date

),

medicines as (

    select * from {{ ref('int_medication_issues_summarised_to_patient_months') }}

),

pincer_hazards as (

    select
        practice_code,
        patient_id,
        month_start_date,
        (
            has_a_hazard or has_b_hazard or has_c_hazard or has_d_hazard or has_e_hazard
            or has_f_hazard or has_g_hazard or has_i_hazard or has_k_hazard
        ) as has_medication_harm_hazard
    from {{ ref('int_pincer_hazards_flagged_to_patient_months') }}

),

flagged as (

    select
        {{ surrogate_key([
            'registered.practice_code', 'registered.patient_id', 'registered.month_start_date'
        ]) }} as patient_month_id,
        registered.practice_code,
        registered.patient_id,
        registered.month_start_date,
        registered.month_end_date,
        registered.age_at_month_end,
        registered.electronic_frailty_index_score,
        registered.electronic_frailty_index_version,
        coalesce(medicines.current_repeat_medicine_count, 0) as current_repeat_medicine_count,
        coalesce(medicines.addictive_medicine_issue_days, 0) as addictive_medicine_issue_days,

        -- cohorts
        registered.is_care_home_resident
        or coalesce(codes_by_month.has_care_home_residence_code, false) as is_care_home_resident,
        registered.has_learning_disability
        or coalesce(codes_by_month.has_learning_disability_code, false) as has_learning_disability,
        coalesce(medicines.current_repeat_medicine_count, 0) >= rules.min_repeat_medicines
            as has_complex_polypharmacy,
        coalesce(
            registered.electronic_frailty_index_version = 'efi'
            and registered.electronic_frailty_index_score > rules.severe_efi_score_above,
            false
        )
        or coalesce(latest_frailty_code.is_severe = 1, false) as is_severely_frail,
        coalesce(
            registered.electronic_frailty_index_version = 'efi2'
            and registered.electronic_frailty_index_score is not null,
            false
        ) as has_unassessed_efi2_score,
        coalesce(medicines.addictive_medicine_issue_days, 0) >= rules.min_addictive_issue_days
        or coalesce(medicines.is_on_addictive_medicine_repeat, false)
            as is_on_potentially_addictive_medicines,
        coalesce(pincer_hazards.has_medication_harm_hazard, false) as is_at_risk_of_medication_harm,

        -- exclusions
        registered.is_end_of_life,
        coalesce(codes_by_month.has_declined_smr, false) as has_declined_smr
    from registered
    cross join rules
    left join medicines
        on
            registered.practice_code = medicines.practice_code
            and registered.patient_id = medicines.patient_id
            and registered.month_start_date = medicines.month_start_date
    left join codes_by_month
        on
            registered.practice_code = codes_by_month.practice_code
            and registered.patient_id = codes_by_month.patient_id
            and registered.month_start_date = codes_by_month.month_start_date
    left join pincer_hazards
        on
            registered.practice_code = pincer_hazards.practice_code
            and registered.patient_id = pincer_hazards.patient_id
            and registered.month_start_date = pincer_hazards.month_start_date
    left join latest_frailty_code
        on
            registered.practice_code = latest_frailty_code.practice_code
            and registered.patient_id = latest_frailty_code.patient_id
            and registered.month_start_date = latest_frailty_code.month_start_date
            and latest_frailty_code.recency_rank = 1

),

final as (

    select
        *,
        (
            is_care_home_resident
            or has_learning_disability
            or has_complex_polypharmacy
            or is_severely_frail
            or is_on_potentially_addictive_medicines
            or is_at_risk_of_medication_harm
        ) as is_in_any_cohort,
        (
            is_care_home_resident
            or has_learning_disability
            or has_complex_polypharmacy
            or is_severely_frail
            or is_on_potentially_addictive_medicines
            or is_at_risk_of_medication_harm
        )
        and not is_end_of_life
        and not has_declined_smr as is_in_des_cohort
    from flagged

)

select * from final
