{#
    Numerators and denominators of the clinical activity KPIs CA04 and CA05 per practice, per
    PCN the practice belonged to in the period's months, and per reporting period (month,
    quarter, financial year to date): the component the KPI rollup reads.

    * CA04 discharge medicines reconciliation within 7 days: discharges in the denominator
      of int_discharges_joined_to_medicines_reconciliations (patient on medicines, window
      closed, not left the practice unreconciled) received in the period, over which those
      reconciled in the window are the numerator. Counted at the receiving practice, in its
      PCN of the month of receipt.
    * CA05 deprescribing actions per SMR: the SMRs of the period (fct_smrs, counted at the
      practice and PCN fct_smrs attributes them to) are the denominator, the deprescribing
      actions attributed to them (int_smrs_joined_to_deprescribing_actions) the numerator. An
      action after the period end still counts for its SMR's period.
    A row exists for every practice-month with a clinical snapshot and a PCN, so a month whose
    extracts arrived with no discharge or no SMR gives 0 over 0 ('nothing due' in the mart);
    months without extracts give no row (data_status 'no data' in the mart). A practice that
    moved PCN within a period has one row per PCN, each summing only its own months.
#}
with

periods as (

    select
        period_id,
        period_start,
        period_end
    from {{ ref('dim_periods') }}

),

snapshot_months as (

    select distinct
        practice_code,
        snapshot_month as month_start_date
    from {{ ref('stg_clinical__patients') }}

),

practice_months as (

    select
        snapshot_months.practice_code,
        practice_pcns.pcn_code,
        snapshot_months.month_start_date
    from snapshot_months
    inner join {{ ref('int_practices_joined_to_pcns_by_month') }} as practice_pcns
        on
            snapshot_months.practice_code = practice_pcns.practice_code
            and snapshot_months.month_start_date = practice_pcns.month_start_date

),

discharge_months as (

    select
        practice_code,
        pcn_code,
        received_month as month_start_date,
        count(*) as discharges,
        sum(case when is_reconciled_in_window then 1 else 0 end) as reconciled_discharges
    from {{ ref('int_discharges_joined_to_medicines_reconciliations') }}
    where is_in_denominator
    group by practice_code, pcn_code, received_month

),

smr_months as (

    select
        practice_code,
        pcn_code,
        reporting_month as month_start_date,
        count(*) as smrs,
        sum(deprescribing_actions) as deprescribing_actions
    from {{ ref('int_smrs_joined_to_deprescribing_actions') }}
    group by practice_code, pcn_code, reporting_month

),

practice_month_figures as (

    select
        practice_months.practice_code,
        practice_months.pcn_code,
        practice_months.month_start_date,
        coalesce(discharge_months.discharges, 0) as discharges,
        coalesce(discharge_months.reconciled_discharges, 0) as reconciled_discharges,
        coalesce(smr_months.smrs, 0) as smrs,
        coalesce(smr_months.deprescribing_actions, 0) as deprescribing_actions
    from practice_months
    left join discharge_months
        on
            practice_months.practice_code = discharge_months.practice_code
            and practice_months.pcn_code = discharge_months.pcn_code
            and practice_months.month_start_date = discharge_months.month_start_date
    left join smr_months
        on
            practice_months.practice_code = smr_months.practice_code
            and practice_months.pcn_code = smr_months.pcn_code
            and practice_months.month_start_date = smr_months.month_start_date

),

practice_periods as (

    select
        periods.period_id,
        practice_month_figures.practice_code,
        practice_month_figures.pcn_code,
        sum(practice_month_figures.discharges) as discharges,
        sum(practice_month_figures.reconciled_discharges) as reconciled_discharges,
        sum(practice_month_figures.smrs) as smrs,
        sum(practice_month_figures.deprescribing_actions) as deprescribing_actions
    from practice_month_figures
    inner join periods
        on practice_month_figures.month_start_date between periods.period_start and periods.period_end
    group by periods.period_id, practice_month_figures.practice_code, practice_month_figures.pcn_code

),

final as (

    select
        period_id,
        practice_code,
        pcn_code,
        'CA04' as kpi_id,
        reconciled_discharges as numerator,
        discharges as denominator,
        cast(null as varchar) as target_basis
    from practice_periods
    union all
    select
        period_id,
        practice_code,
        pcn_code,
        'CA05' as kpi_id,
        deprescribing_actions as numerator,
        smrs as denominator,
        cast(null as varchar) as target_basis
    from practice_periods

)

select * from final
