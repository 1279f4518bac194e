{#
    Prescribing cost per ASTRO-PU of every GP practice and PCN for every reporting period,
    beside the median of its ICB peers, its percentile among them and the saving if it
    prescribed at that median (OpenPrescribing's methods, docs/domain.md section 4.4).

    * Sums, never means: a period's actual_cost and astro_pu_cost are exact decimal sums over
      the months of the period that have both (int_prescribing_costs_joined_to_astro_pu_by_month:
      is_costed; a practice month missing from a delivered EPD month is left out), so a
      quarter or year to date is cost over the sum of monthly ASTRO-PU: pounds per ASTRO-PU
      per month, on the same scale as a single month, and a month missing from the period
      drops out of both sides. A PCN sums its member practices' months, each month counted in
      the PCN the practice belonged to then (sum over sum, never a mean of practice ratios).
    * Peers: organisations of the same type (practices with practices, PCNs with PCNs) in the
      same ICB with a value for the same period (a PCN with no practice costed has none);
      only what the warehouse holds, so every PCN of the ICB must be in scope for the median
      to be the ICB's.
    * peer_median_cost_per_astro_pu: PERCENTILE_CONT(0.5) of cost_per_astro_pu across them.
    * peer_percentile: PERCENT_RANK() x 100 in ascending cost order (0 = cheapest), as
      OpenPrescribing ranks organisations, but within the ICB rather than nationally.
    * saving_at_peer_median_pounds: actual_cost - median x astro_pu_cost, floored at 0 (what
      OpenPrescribing calls the possible saving at the 50th percentile).
#}
with

periods as (

    select
        period_id,
        period_start,
        period_end
    from {{ ref('dim_periods') }}

),

practice_months as (

    select
        practice_code,
        month_start_date,
        pcn_code,
        icb_code,
        actual_cost,
        astro_pu_cost
    from {{ ref('int_prescribing_costs_joined_to_astro_pu_by_month') }}
    where is_costed

),

pcn_icbs as (

    select
        pcn_code,
        icb_code
    from {{ ref('int_pcns_joined_to_icbs') }}

),

practice_periods as (

    select
        'practice' as org_type,
        practice_months.practice_code as org_code,
        periods.period_id,
        max(practice_months.icb_code) as icb_code,
        sum(practice_months.actual_cost) as actual_cost,
        sum(practice_months.astro_pu_cost) as astro_pu_cost
    from practice_months
    inner join periods
        on practice_months.month_start_date between periods.period_start and periods.period_end
    group by practice_months.practice_code, periods.period_id

),

pcn_periods as (

    select
        'pcn' as org_type,
        practice_months.pcn_code as org_code,
        periods.period_id,
        max(pcn_icbs.icb_code) as icb_code,
        sum(practice_months.actual_cost) as actual_cost,
        sum(practice_months.astro_pu_cost) as astro_pu_cost
    from practice_months
    inner join periods
        on practice_months.month_start_date between periods.period_start and periods.period_end
    left join pcn_icbs
        on practice_months.pcn_code = pcn_icbs.pcn_code
    where practice_months.pcn_code is not null
    group by practice_months.pcn_code, periods.period_id

),

organisation_periods as (

    select
        org_type,
        org_code,
        period_id,
        icb_code,
        actual_cost,
        astro_pu_cost,
        actual_cost / astro_pu_cost as cost_per_astro_pu
    from (
        select * from practice_periods
        union all
        select * from pcn_periods
    ) as unioned

),

peer_medians as (

    select
        org_type,
        icb_code,
        period_id,
        percentile_cont(0.5) within group (order by cost_per_astro_pu) as peer_median
    from organisation_periods
    where icb_code is not null
    group by org_type, icb_code, period_id

),

ranked as (

    select
        org_type,
        org_code,
        period_id,
        100.0 * percent_rank() over (
            partition by org_type, icb_code, period_id
            order by cost_per_astro_pu
        ) as peer_percentile
    from organisation_periods
    where icb_code is not null

),

final as (

    select
        organisation_periods.org_type,
        organisation_periods.org_code,
        organisation_periods.period_id,
        cast(organisation_periods.actual_cost as double) as actual_cost,
        cast(organisation_periods.astro_pu_cost as double) as astro_pu_cost,
        cast(organisation_periods.cost_per_astro_pu as double) as cost_per_astro_pu,
        organisation_periods.icb_code,
        cast(peer_medians.peer_median as double) as peer_median_cost_per_astro_pu,
        cast(ranked.peer_percentile as double) as peer_percentile,
        cast(
            case
                when peer_medians.peer_median is null then null
                when
                    organisation_periods.actual_cost
                    > peer_medians.peer_median * organisation_periods.astro_pu_cost
                    then
                        organisation_periods.actual_cost
                        - peer_medians.peer_median * organisation_periods.astro_pu_cost
                else 0
            end as double
        ) as saving_at_peer_median_pounds
    from organisation_periods
    left join peer_medians
        on
            organisation_periods.org_type = peer_medians.org_type
            and organisation_periods.icb_code = peer_medians.icb_code
            and organisation_periods.period_id = peer_medians.period_id
    left join ranked
        on
            organisation_periods.org_type = ranked.org_type
            and organisation_periods.org_code = ranked.org_code
            and organisation_periods.period_id = ranked.period_id

)

select * from final
