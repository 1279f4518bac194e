{#
    Numerators and denominators of the LTC titration clinic KPIs (CA06 hypertension, CA07
    type 2 diabetes, CA08 lipids, CA09 respiratory) per practice, per PCN the practice
    belonged to in the period's months, and per reporting period.

    * Numerator: patients seen (attendances) in the period's covered months; the log's dose
      changes stay in fct_titration_clinics_monthly for the family sheet, since a CD reads
      them beside throughput rather than as its target.
    * Denominator: the practice's share of the PCN's target for the same months.
    Only practice months in fct_titration_clinics_monthly count (the PCN's log covers the
    month) and only those with a target (a cohort snapshot): a quarter or year to date sums
    the months that have both, and a period with none has no row ('no data').
#}
with

periods as (

    select
        period_id,
        period_start,
        period_end
    from {{ ref('dim_periods') }}

),

clinic_months as (

    select
        practice_code,
        pcn_code,
        month_start_date,
        kpi_id,
        seen_patients,
        target_patients_seen,
        target_basis
    from {{ ref('fct_titration_clinics_monthly') }}
    where target_patients_seen is not null

),

final as (

    select
        periods.period_id,
        clinic_months.practice_code,
        clinic_months.pcn_code,
        clinic_months.kpi_id,
        sum(clinic_months.seen_patients) as numerator,
        sum({{ exact_decimal('clinic_months.target_patients_seen') }}) as denominator,
        {{ combined_target_basis('clinic_months.target_basis') }} as target_basis
    from clinic_months
    inner join periods
        on clinic_months.month_start_date between periods.period_start and periods.period_end
    group by
        periods.period_id,
        clinic_months.practice_code,
        clinic_months.pcn_code,
        clinic_months.kpi_id

)

select * from final
