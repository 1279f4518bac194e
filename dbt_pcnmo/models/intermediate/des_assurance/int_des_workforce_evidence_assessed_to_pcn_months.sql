{#
    DES evidence item 1, named Lead Pharmacist with supervision schedule and QA sampling, per
    PCN and month, as at the month end. Three checks:
    * named Lead Pharmacist: a lead_pharmacist in post (start on or before the month end, no
      end before it), from the PCN's workforce record;
    * supervision schedule: every pharmacy-team ARRS role in post (clinical pharmacist, senior
      clinical pharmacist, pharmacy technician: the staff a Lead Pharmacist supervises) has a
      supervision interval and a supervisor recorded;
    * QA sampling: every clinical and senior clinical pharmacist (the SMR clinicians) in post
      has a qa_sampling session with at least one record sampled in the qa_sampling_window_days
      up to the month end (seed des_evidence_rules). A pharmacist who started inside the
      window is not yet due and is left out.
    met = all three; partly_met = a Lead Pharmacist but a gap in the schedule or the sampling;
    not_met = no Lead Pharmacist in post. No row (the mart says no_data) for a month after the
    PCN's latest workforce record, which like DA02 reads past months from today's record.
    QA sampling is read from the supervision log as delivered: the evidence names the month
    the log runs to, because sessions held but not yet logged cannot count.
#}
{%- set pharmacy_team_roles = ['lead_pharmacist', 'senior_clinical_pharmacist', 'clinical_pharmacist', 'pharmacy_technician'] %}
{%- set supervised_roles = ['senior_clinical_pharmacist', 'clinical_pharmacist', 'pharmacy_technician'] %}
{%- set qa_sampled_roles = ['senior_clinical_pharmacist', 'clinical_pharmacist'] %}

with

rules as (

    select
        max(case when parameter = 'qa_sampling_window_days' then value end)
            as qa_sampling_window_days
    from {{ ref('des_evidence_rules') }}
    where item_number = 1

),

months as (

    select
        period_id,
        period_end
    from {{ ref('dim_periods') }}
    where period_type = 'month'

),

staff as (

    select
        pcn_code,
        staff_id,
        staff_role,
        supervisor_staff_id,
        supervision_interval_days,
        start_date,
        end_date
    from {{ ref('stg_local__staff') }}
    where staff_role in ('{{ pharmacy_team_roles | join("', '") }}')

),

workforce_records as (

    {{ log_covered_to_dates(ref('stg_local__staff')) }}

),

supervision_logs as (

    {{ log_covered_to_dates(ref('stg_local__supervision_sessions')) }}

),

qa_sessions as (

    select
        pcn_code,
        staff_id,
        supervision_date
    from {{ ref('stg_local__supervision_sessions') }}
    where supervision_type = 'qa_sampling' and records_sampled > 0

),

pcn_months as (

    select
        workforce_records.pcn_code,
        months.period_id,
        months.period_end,
        cast({{ dbt.dateadd(
            'day', '1 - cast(rules.qa_sampling_window_days as integer)', 'months.period_end'
        ) }} as date) as qa_window_start_date,
        cast(rules.qa_sampling_window_days as integer) as qa_sampling_window_days,
        supervision_logs.covered_to_date as supervision_log_covered_to_date
    from workforce_records
    cross join rules
    inner join months
        on months.period_end <= workforce_records.covered_to_date
    left join supervision_logs
        on workforce_records.pcn_code = supervision_logs.pcn_code

),

in_post as (

    select
        pcn_months.pcn_code,
        pcn_months.period_id,
        pcn_months.period_end,
        pcn_months.qa_window_start_date,
        staff.staff_id,
        staff.staff_role,
        staff.staff_role = 'lead_pharmacist' as is_lead_pharmacist,
        staff.staff_role in ('{{ supervised_roles | join("', '") }}') as is_supervised_role,
        staff.staff_role in ('{{ qa_sampled_roles | join("', '") }}')
        and staff.start_date <= pcn_months.qa_window_start_date as is_due_qa_sampling,
        staff.supervision_interval_days is not null
        and staff.supervisor_staff_id is not null as has_supervision_schedule
    from pcn_months
    inner join staff
        on
            pcn_months.pcn_code = staff.pcn_code
            and {{ is_in_post_on('staff', 'pcn_months.period_end') }}

),

sampled as (

    select distinct
        in_post.pcn_code,
        in_post.period_id,
        in_post.staff_id
    from in_post
    inner join qa_sessions
        on
            in_post.pcn_code = qa_sessions.pcn_code
            and in_post.staff_id = qa_sessions.staff_id
            and qa_sessions.supervision_date between in_post.qa_window_start_date
            and in_post.period_end
    where in_post.is_due_qa_sampling

),

counted as (

    select
        pcn_months.pcn_code,
        pcn_months.period_id,
        pcn_months.period_end,
        pcn_months.qa_sampling_window_days,
        pcn_months.supervision_log_covered_to_date,
        min(case when in_post.is_lead_pharmacist then in_post.staff_id end) as lead_pharmacist_staff_id,
        sum(case when in_post.is_supervised_role then 1 else 0 end) as supervised_staff,
        sum(
            case when in_post.is_supervised_role and in_post.has_supervision_schedule then 1 else 0 end
        ) as scheduled_staff,
        sum(case when in_post.is_due_qa_sampling then 1 else 0 end) as qa_due_staff,
        count(sampled.staff_id) as qa_sampled_staff
    from pcn_months
    left join in_post
        on
            pcn_months.pcn_code = in_post.pcn_code
            and pcn_months.period_id = in_post.period_id
    left join sampled
        on
            in_post.pcn_code = sampled.pcn_code
            and in_post.period_id = sampled.period_id
            and in_post.staff_id = sampled.staff_id
    group by
        pcn_months.pcn_code,
        pcn_months.period_id,
        pcn_months.period_end,
        pcn_months.qa_sampling_window_days,
        pcn_months.supervision_log_covered_to_date

),

final as (

    select
        pcn_code,
        period_id,
        1 as item_number,
        case
            when lead_pharmacist_staff_id is null then 'not_met'
            when scheduled_staff = supervised_staff and qa_sampled_staff = qa_due_staff then 'met'
            else 'partly_met'
        end as status,
        case
            when lead_pharmacist_staff_id is null
                then 'No Lead Pharmacist in post at ' || cast(period_end as varchar) || '; '
            else 'Lead Pharmacist ' || lead_pharmacist_staff_id || ' in post at '
                || cast(period_end as varchar) || '; '
        end
        || 'supervision interval and supervisor recorded for '
        || cast(coalesce(scheduled_staff, 0) as varchar) || ' of '
        || cast(coalesce(supervised_staff, 0) as varchar) || ' pharmacy team staff; '
        || cast(qa_sampled_staff as varchar) || ' of ' || cast(coalesce(qa_due_staff, 0) as varchar)
        || ' pharmacists had SMR records QA-sampled in the '
        || cast(qa_sampling_window_days as varchar) || ' days to the month end ('
        || coalesce(
            'supervision log to ' || cast(supervision_log_covered_to_date as varchar),
            'no supervision log received'
        )
        || ').' as evidence,
        cast('' as varchar) as source_kpi_ids
    from counted

)

select * from final
