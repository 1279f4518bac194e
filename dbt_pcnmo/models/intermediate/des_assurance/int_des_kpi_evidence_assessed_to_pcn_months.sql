{#
    DES evidence items read from the KPI mart (PCN rows of fct_kpi_values), per PCN and month;
    thresholds from seed des_evidence_rules. Rows only where the KPIs behind an item have data;
    otherwise the mart says no_data.

    * Item 2, scope of practice for every ARRS role: DA02 for the month.
    * Item 4, alert closure log within timeframes: PS01 for the month (the Class 1/2 and
      NatPSA alerts due in the month or still open past their deadline at its start, closed
      by their deadline), and no alert of any class (fct_safety_alerts, not 'not
      applicable') still open past its window at the month end: one that is makes the item
      not met whatever PS01 says, so a Class 3 or 4 alert overdue, or one that went overdue
      in the month's last days, never leaves the item met.
      For both, a KPI row with nothing due (no ARRS staff in post, no applicable alert due)
      is met: nothing was missing or late.
    * Item 5, care home MO programme (EHCH): CA10 for the month, the share of the PCN's
      care-home residents registered at the month end who had an SMR as a care-home resident
      in the lookback_months to it; met and partly met at this item's thresholds. No
      residents at all (CA10 nothing due) is met: there is no one to review. A CA10 with no
      data (no member practice's extracts reach back the whole window) gives no row, and the
      mart says no_data; member practices without a figure are named in the evidence.
    * Item 6, quarterly ICB return: the latest complete quarter (dim_periods.is_complete)
      ending on or before the month end; the return carries every KPI with a quarterly figure
      (kpi_definitions period_grain month_quarter or month_quarter_fytd), and the share of them
      with data for the PCN in that quarter decides the status. Months before the first
      complete quarter, and a PCN with no quarterly KPI data at all (a peer PCN the warehouse
      holds only public data for), have no row.
    * Item 7, annual SEA review and safety culture audit, over the lookback_months up to the
      month end: the SEA review is evidenced when at least sea_min_raised SEAs were raised
      (PS04 month rows) and, of those due, at least sea_min_completed_within_90_days_percent
      were completed within 90 days (PS05 month rows, sum over sum; none due yet passes); the
      audit is evidenced by a PS08 value for a period ending in the window (PS08 is annual,
      so this is the latest financial year's audit once that year has ended). met = both,
      partly_met = one, not_met = neither, no row when none of the three KPIs has data in
      the window.
#}
with

rules as (

    select
        max(case when item_number = 2 and parameter = 'met_min_percent' then value end)
            as scope_met_min_percent,
        max(case when item_number = 2 and parameter = 'partly_met_min_percent' then value end)
            as scope_partly_met_min_percent,
        max(case when item_number = 4 and parameter = 'met_min_percent' then value end)
            as alerts_met_min_percent,
        max(case when item_number = 4 and parameter = 'partly_met_min_percent' then value end)
            as alerts_partly_met_min_percent,
        cast(max(case when item_number = 5 and parameter = 'lookback_months' then value end) as integer)
            as care_home_lookback_months,
        max(case when item_number = 5 and parameter = 'met_min_percent' then value end)
            as care_home_met_min_percent,
        max(case when item_number = 5 and parameter = 'partly_met_min_percent' then value end)
            as care_home_partly_met_min_percent,
        max(case when item_number = 6 and parameter = 'met_min_percent' then value end)
            as return_met_min_percent,
        max(case when item_number = 6 and parameter = 'partly_met_min_percent' then value end)
            as return_partly_met_min_percent,
        cast(max(case when item_number = 7 and parameter = 'lookback_months' then value end) as integer)
            as safety_lookback_months,
        max(case when item_number = 7 and parameter = 'sea_min_raised' then value end)
            as sea_min_raised,
        max(
            case when item_number = 7 and parameter = 'sea_min_completed_within_90_days_percent' then value end
        ) as sea_min_completed_percent
    from {{ ref('des_evidence_rules') }}

),

periods as (

    select
        period_id,
        period_type,
        period_start,
        period_end,
        is_complete
    from {{ ref('dim_periods') }}

),

months as (

    select
        period_id,
        period_start,
        period_end
    from periods
    where period_type = 'month'

),

pcn_kpis as (

    select
        org_code as pcn_code,
        period_id,
        kpi_id,
        numerator,
        denominator,
        value,
        data_status,
        data_status != 'no data' as has_data,
        practices_without_data
    from {{ ref('fct_kpi_values') }}
    where org_type = 'pcn'

),

{# Item 4: alerts open past their window at each month end, whatever month they came in. #}

overdue_alerts as (

    select
        alerts.pcn_code,
        months.period_id,
        count(*) as overdue_alert_count,
        string_agg(
            alerts.alert_reference || ' at ' || alerts.practice_code
            || ' (due ' || cast(alerts.deadline_date as varchar) || ')',
            '; ' order by alerts.deadline_date, alerts.alert_reference, alerts.practice_code
        ) as overdue_alerts
    from {{ ref('fct_safety_alerts') }} as alerts
    inner join months
        on
            alerts.received_date <= months.period_end
            and alerts.deadline_date < months.period_end
            and (alerts.closed_date is null or alerts.closed_date > months.period_end)
    where alerts.status != 'not_applicable'
    group by alerts.pcn_code, months.period_id

),

{# Items 2 and 4: one monthly percentage KPI each. #}

monthly_kpi_items as (

    select
        pcn_kpis.pcn_code,
        pcn_kpis.period_id,
        case pcn_kpis.kpi_id when 'DA02' then 2 else 4 end as item_number,
        pcn_kpis.kpi_id,
        pcn_kpis.numerator,
        pcn_kpis.denominator,
        pcn_kpis.value,
        months.period_end,
        case pcn_kpis.kpi_id
            when 'DA02' then rules.scope_met_min_percent else rules.alerts_met_min_percent
        end as met_min_percent,
        case pcn_kpis.kpi_id
            when 'DA02' then rules.scope_partly_met_min_percent else rules.alerts_partly_met_min_percent
        end as partly_met_min_percent
    from pcn_kpis
    cross join rules
    inner join months
        on pcn_kpis.period_id = months.period_id
    where pcn_kpis.kpi_id in ('DA02', 'PS01') and pcn_kpis.has_data

),

monthly_items as (

    select
        monthly_kpi_items.pcn_code,
        monthly_kpi_items.period_id,
        monthly_kpi_items.item_number,
        case
            when monthly_kpi_items.item_number = 4 and overdue_alerts.overdue_alert_count > 0
                then 'not_met'
            when denominator = 0 then 'met'
            when value >= met_min_percent then 'met'
            when value >= partly_met_min_percent then 'partly_met'
            else 'not_met'
        end as status,
        case
            when monthly_kpi_items.item_number = 4 and overdue_alerts.overdue_alert_count > 0
                then cast(overdue_alerts.overdue_alert_count as varchar)
                    || ' alert(s) open past their window at ' || cast(period_end as varchar)
                    || ': ' || overdue_alerts.overdue_alerts || '. '
            else ''
        end
        || case
            when monthly_kpi_items.item_number = 2 and denominator = 0
                then 'No ARRS staff in post at ' || cast(period_end as varchar) || ' (DA02).'
            when monthly_kpi_items.item_number = 2
                then cast(cast(numerator as bigint) as varchar) || ' of '
                    || cast(cast(denominator as bigint) as varchar)
                    || ' ARRS staff in post at ' || cast(period_end as varchar)
                    || ' have a signed scope of practice within its review date ('
                    || cast(round(value, 1) as varchar) || '%, DA02).'
            when denominator = 0
                then 'No applicable Class 1/2 or NatPSA alert was due for closure in the month (PS01).'
            else cast(cast(numerator as bigint) as varchar) || ' of '
                || cast(cast(denominator as bigint) as varchar)
                || ' applicable Class 1/2 and NatPSA alerts due in the month or still open past their deadline at its start were closed by their deadline ('
                || cast(round(value, 1) as varchar) || '%, PS01).'
        end as evidence,
        kpi_id as source_kpi_ids
    from monthly_kpi_items
    left join overdue_alerts
        on
            monthly_kpi_items.item_number = 4
            and monthly_kpi_items.pcn_code = overdue_alerts.pcn_code
            and monthly_kpi_items.period_id = overdue_alerts.period_id

),

{# Item 5: CA10, the care-home residents reviewed in the lookback window. #}

care_home_items as (

    select
        pcn_kpis.pcn_code,
        pcn_kpis.period_id,
        5 as item_number,
        case
            when pcn_kpis.data_status = 'nothing due' then 'met'
            when pcn_kpis.value >= rules.care_home_met_min_percent then 'met'
            when pcn_kpis.value >= rules.care_home_partly_met_min_percent then 'partly_met'
            else 'not_met'
        end as status,
        case
            when pcn_kpis.data_status = 'nothing due'
                then 'No care-home residents registered at ' || cast(months.period_end as varchar)
                    || ' (CA10).'
            else cast(cast(pcn_kpis.numerator as bigint) as varchar) || ' of '
                || cast(cast(pcn_kpis.denominator as bigint) as varchar)
                || ' care-home residents registered at ' || cast(months.period_end as varchar)
                || ' (' || cast(round(pcn_kpis.value, 1) as varchar)
                || '%) had an SMR as a care-home resident since '
                || cast(cast({{ dbt.dateadd(
                    'month', '1 - rules.care_home_lookback_months', 'months.period_start'
                ) }} as date) as varchar)
                || ' (CA10).'
        end
        || case
            when pcn_kpis.practices_without_data > 0
                then ' ' || cast(pcn_kpis.practices_without_data as varchar)
                    || ' member practice(s) without a figure (extracts missing or not yet'
                    || ' reaching back the window) are not counted.'
            else ''
        end as evidence,
        pcn_kpis.kpi_id as source_kpi_ids
    from pcn_kpis
    cross join rules
    inner join months
        on pcn_kpis.period_id = months.period_id
    where pcn_kpis.kpi_id = 'CA10' and pcn_kpis.has_data

),

{# Item 6: the latest complete quarter ending on or before the month end. #}

return_kpis as (

    select kpi_id
    from {{ ref('kpi_definitions') }}
    where period_grain in ('month_quarter', 'month_quarter_fytd')

),

return_kpi_list as (

    select {{ dbt.listagg('kpi_id', "', '", 'order by kpi_id') }} as source_kpi_ids
    from return_kpis

),

month_quarters as (

    select
        months.period_id,
        max(quarters.period_end) as quarter_end
    from months
    inner join periods as quarters
        on
            quarters.period_type = 'quarter'
            and quarters.is_complete
            and quarters.period_end <= months.period_end
    group by months.period_id

),

quarter_kpis as (

    select
        pcn_kpis.pcn_code,
        month_quarters.period_id,
        month_quarters.quarter_end,
        return_kpis.kpi_id,
        pcn_kpis.has_data
    from month_quarters
    inner join periods as quarters
        on
            quarters.period_type = 'quarter'
            and month_quarters.quarter_end = quarters.period_end
    inner join pcn_kpis
        on quarters.period_id = pcn_kpis.period_id
    inner join return_kpis
        on pcn_kpis.kpi_id = return_kpis.kpi_id

),

quarter_counts as (

    select
        pcn_code,
        period_id,
        quarter_end,
        count(*) as return_kpis,
        sum(case when has_data then 1 else 0 end) as return_kpis_with_data,
        {{ dbt.listagg(
            'case when not has_data then kpi_id end', "', '", 'order by kpi_id'
        ) }} as missing_kpi_ids
    from quarter_kpis
    group by pcn_code, period_id, quarter_end

),

return_items as (

    select
        quarter_counts.pcn_code,
        quarter_counts.period_id,
        6 as item_number,
        case
            when 100.0 * quarter_counts.return_kpis_with_data / quarter_counts.return_kpis
                >= rules.return_met_min_percent then 'met'
            when 100.0 * quarter_counts.return_kpis_with_data / quarter_counts.return_kpis
                >= rules.return_partly_met_min_percent then 'partly_met'
            else 'not_met'
        end as status,
        'Quarter ending ' || cast(quarter_counts.quarter_end as varchar) || ': '
        || cast(quarter_counts.return_kpis_with_data as varchar) || ' of '
        || cast(quarter_counts.return_kpis as varchar) || ' quarterly KPIs have data'
        || coalesce('; no data for ' || quarter_counts.missing_kpi_ids, '')
        || '.' as evidence,
        return_kpi_list.source_kpi_ids
    from quarter_counts
    cross join rules
    cross join return_kpi_list
    where quarter_counts.return_kpis_with_data > 0

),

{# Item 7: SEAs and the safety culture audit over the lookback window. #}

safety_windows as (

    select
        months.period_id,
        months.period_end,
        cast({{ dbt.dateadd(
            'month', '1 - rules.safety_lookback_months', 'months.period_start'
        ) }} as date) as window_start_date
    from months
    cross join rules

),

sea_months as (

    select
        safety_windows.period_id,
        pcn_kpis.pcn_code,
        sum(case when pcn_kpis.kpi_id = 'PS04' then pcn_kpis.numerator end) as seas_raised,
        sum(case when pcn_kpis.kpi_id = 'PS05' then pcn_kpis.numerator end) as seas_completed_in_time,
        sum(case when pcn_kpis.kpi_id = 'PS05' then pcn_kpis.denominator end) as seas_due
    from safety_windows
    inner join months as window_months
        on window_months.period_start between safety_windows.window_start_date and safety_windows.period_end
    inner join pcn_kpis
        on
            window_months.period_id = pcn_kpis.period_id
            and pcn_kpis.kpi_id in ('PS04', 'PS05')
            and pcn_kpis.has_data
    group by safety_windows.period_id, pcn_kpis.pcn_code

),

audits as (

    select
        safety_windows.period_id,
        pcn_kpis.pcn_code,
        audit_periods.period_end as audit_period_end,
        pcn_kpis.value as audit_score_percent,
        row_number() over (
            partition by safety_windows.period_id, pcn_kpis.pcn_code
            order by audit_periods.period_end desc, audit_periods.period_start
        ) as recency_rank
    from safety_windows
    inner join periods as audit_periods
        on audit_periods.period_end between safety_windows.window_start_date and safety_windows.period_end
    inner join pcn_kpis
        on
            audit_periods.period_id = pcn_kpis.period_id
            and pcn_kpis.kpi_id = 'PS08'
            and pcn_kpis.has_data
            and pcn_kpis.value is not null

),

safety_evidence as (

    select
        coalesce(sea_months.pcn_code, audits.pcn_code) as pcn_code,
        coalesce(sea_months.period_id, audits.period_id) as period_id,
        coalesce(sea_months.seas_raised, 0) as seas_raised,
        coalesce(sea_months.seas_completed_in_time, 0) as seas_completed_in_time,
        coalesce(sea_months.seas_due, 0) as seas_due,
        audits.audit_period_end,
        audits.audit_score_percent
    from sea_months
    full outer join (select * from audits where recency_rank = 1) as audits
        on
            sea_months.pcn_code = audits.pcn_code
            and sea_months.period_id = audits.period_id

),

safety_flags as (

    select
        safety_evidence.*,
        safety_windows.window_start_date,
        safety_windows.period_end,
        safety_evidence.seas_raised >= rules.sea_min_raised
        and (
            safety_evidence.seas_due = 0
            or 100.0 * safety_evidence.seas_completed_in_time / safety_evidence.seas_due
            >= rules.sea_min_completed_percent
        ) as has_sea_review,
        safety_evidence.audit_score_percent is not null as has_safety_culture_audit
    from safety_evidence
    cross join rules
    inner join safety_windows
        on safety_evidence.period_id = safety_windows.period_id

),

safety_items as (

    select
        pcn_code,
        period_id,
        7 as item_number,
        case
            when has_sea_review and has_safety_culture_audit then 'met'
            when has_sea_review or has_safety_culture_audit then 'partly_met'
            else 'not_met'
        end as status,
        'Since ' || cast(window_start_date as varchar) || ': '
        || cast(cast(seas_raised as bigint) as varchar) || ' SEAs raised (PS04), '
        || cast(cast(seas_completed_in_time as bigint) as varchar) || ' of '
        || cast(cast(seas_due as bigint) as varchar) || ' due completed within 90 days (PS05); '
        || coalesce(
            'safety culture audit score ' || cast(round(audit_score_percent, 1) as varchar)
            || '% for the period ending ' || cast(audit_period_end as varchar) || ' (PS08).',
            'no safety culture audit score (PS08).'
        ) as evidence,
        'PS04, PS05, PS08' as source_kpi_ids
    from safety_flags

),

final as (

    select * from monthly_items
    union all
    select * from care_home_items
    union all
    select * from return_items
    union all
    select * from safety_items

)

select * from final
