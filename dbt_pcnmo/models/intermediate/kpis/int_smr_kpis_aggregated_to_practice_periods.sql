{#
    Numerators and denominators of the SMR KPIs per practice, per PCN the practice belonged to
    in the period's months, and per reporting period (month, quarter, financial year to date).

    * CA01, CA02: SMRs (one per patient per day, fct_smrs) dated in the
      period, over the practice's share of the PCN's total SMR target for the period's months.
      CA01 and CA02 carry the same figures for every period; fct_kpi_values keeps each on the
      periods its kpi_definitions period_grain names.
    * DA03 to DA08: distinct patients with an SMR in the period who were in the cohort at the
      time of that SMR (at the end of the month before the SMR's month or at the end of its
      month: fct_smrs), over the practice's share of the cohort's target for the period.
    * CA10 (care-home residents with an SMR in the last 12 months, the Enhanced Health in
      Care Homes measure of DES evidence item 5): a snapshot at the period end. Denominator:
      the practice's care-home residents registered at the end of the period's last month
      (fct_smr_cohort_monthly); numerator: those of them with an SMR (fct_smrs, at any
      practice) dated in the lookback_months of seed des_evidence_rules item 5 up to the
      period end while a care-home resident (fct_smrs.is_care_home_resident). The period has
      a row only when the practice's extracts reach back the whole window, and counts in the
      PCN the practice belonged to in its last month.
    For CA01, CA02 and DA03 to DA08 a row exists only for the practice's months with a cohort
    snapshot and a PCN (int_smr_targets_phased_to_practice_months); SMRs in other months are
    not counted. A
    practice that moved PCN within a period has one row per PCN, so each PCN sums only its
    own months. Distinct-patient counts are per practice, so a patient reviewed at two
    practices in one period counts at each.
#}
{%- set cohort_flags = {
    'DA03': 'is_care_home_resident',
    'DA04': 'has_learning_disability',
    'DA05': 'has_complex_polypharmacy',
    'DA06': 'is_at_risk_of_medication_harm',
    'DA07': 'is_severely_frail',
    'DA08': 'is_on_potentially_addictive_medicines',
} %}

with

periods as (

    select
        period_id,
        period_start,
        period_end
    from {{ ref('dim_periods') }}

),

targets as (

    select
        practice_code,
        pcn_code,
        month_start_date,
        target_kpi_id,
        practice_monthly_target,
        target_basis
    from {{ ref('int_smr_targets_phased_to_practice_months') }}

),

smrs as (

    select * from {{ ref('fct_smrs') }}
    where pcn_code is not null

),

target_periods as (

    select
        periods.period_id,
        targets.practice_code,
        targets.pcn_code,
        targets.target_kpi_id,
        sum({{ exact_decimal('targets.practice_monthly_target') }}) as period_target,
        {{ combined_target_basis('targets.target_basis') }} as target_basis
    from targets
    inner join periods
        on targets.month_start_date between periods.period_start and periods.period_end
    group by periods.period_id, targets.practice_code, targets.pcn_code, targets.target_kpi_id

),

denominators as (

    select
        period_id,
        practice_code,
        pcn_code,
        kpi_ids.kpi_id,
        period_target as denominator,
        target_basis
    from target_periods
    inner join (
        select 'CA01' as target_kpi_id, 'CA01' as kpi_id
        union all
        select 'CA01' as target_kpi_id, 'CA02' as kpi_id
        {% for kpi_id in cohort_flags %}
        union all
        select '{{ kpi_id }}' as target_kpi_id, '{{ kpi_id }}' as kpi_id
        {% endfor %}
    ) as kpi_ids
        on target_periods.target_kpi_id = kpi_ids.target_kpi_id

),

smr_periods as (

    select
        periods.period_id,
        smrs.*
    from smrs
    inner join periods
        on smrs.smr_date between periods.period_start and periods.period_end

),

numerators as (

    {% for kpi_id in ['CA01', 'CA02'] %}
    select
        period_id,
        practice_code,
        pcn_code,
        '{{ kpi_id }}' as kpi_id,
        count(*) as numerator
    from smr_periods
    group by period_id, practice_code, pcn_code
    union all
    {% endfor %}
    {% for kpi_id, flag in cohort_flags.items() %}
    select
        period_id,
        practice_code,
        pcn_code,
        '{{ kpi_id }}' as kpi_id,
        count(distinct case when {{ flag }} then patient_id end) as numerator
    from smr_periods
    group by period_id, practice_code, pcn_code
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

{# CA10 #}
care_home_lookback as (

    select
        cast(max(case when item_number = 5 and parameter = 'lookback_months' then value end) as integer)
            as lookback_months
    from {{ ref('des_evidence_rules') }}

),

practice_extract_starts as (

    select
        practice_code,
        min(reporting_month) as first_extract_month
    from {{ ref('fct_smr_cohort_monthly') }}
    group by practice_code

),

care_home_periods as (

    select
        periods.period_id,
        periods.period_end,
        cohorts.practice_code,
        cohorts.pcn_code,
        cohorts.reporting_month,
        cast({{ dbt.dateadd(
            'month', '1 - care_home_lookback.lookback_months', 'cohorts.reporting_month'
        ) }} as date) as window_start_date,
        cohorts.care_home_patients
    from periods
    cross join care_home_lookback
    inner join {{ ref('fct_smr_cohort_monthly') }} as cohorts
        on cohorts.reporting_month = cast({{ dbt.date_trunc('month', 'periods.period_end') }} as date)
    inner join practice_extract_starts
        on cohorts.practice_code = practice_extract_starts.practice_code
    where
        cohorts.pcn_code is not null
        and practice_extract_starts.first_extract_month
        <= cast({{ dbt.dateadd(
            'month', '1 - care_home_lookback.lookback_months', 'cohorts.reporting_month'
        ) }} as date)

),

reviewed_residents as (

    select
        care_home_periods.period_id,
        care_home_periods.practice_code,
        count(distinct residents.patient_id) as reviewed_residents
    from care_home_periods
    inner join {{ ref('int_patients_assigned_to_smr_cohorts') }} as residents
        on
            care_home_periods.practice_code = residents.practice_code
            and care_home_periods.reporting_month = residents.month_start_date
            and residents.is_care_home_resident
    inner join {{ ref('fct_smrs') }} as reviews
        on
            residents.patient_id = reviews.patient_id
            and reviews.is_care_home_resident
            and reviews.smr_date between care_home_periods.window_start_date and care_home_periods.period_end
    group by care_home_periods.period_id, care_home_periods.practice_code

),

ca10 as (

    select
        care_home_periods.period_id,
        care_home_periods.practice_code,
        care_home_periods.pcn_code,
        'CA10' as kpi_id,
        coalesce(reviewed_residents.reviewed_residents, 0) as numerator,
        care_home_periods.care_home_patients as denominator,
        cast(null as varchar) as target_basis
    from care_home_periods
    left join reviewed_residents
        on
            care_home_periods.period_id = reviewed_residents.period_id
            and care_home_periods.practice_code = reviewed_residents.practice_code

),

final as (

    select
        denominators.period_id,
        denominators.practice_code,
        denominators.pcn_code,
        denominators.kpi_id,
        coalesce(numerators.numerator, 0) as numerator,
        denominators.denominator,
        denominators.target_basis
    from denominators
    left join numerators
        on
            denominators.period_id = numerators.period_id
            and denominators.practice_code = numerators.practice_code
            and denominators.pcn_code = numerators.pcn_code
            and denominators.kpi_id = numerators.kpi_id
    union all
    select
        period_id,
        practice_code,
        pcn_code,
        kpi_id,
        numerator,
        denominator,
        target_basis
    from ca10

)

select * from final
