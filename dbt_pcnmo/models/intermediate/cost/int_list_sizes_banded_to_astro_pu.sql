{#
    ASTRO-PU (2013 cost weights) of each practice for each month of NHS Digital's quinary-age
    list size file: sum over sex x quinary band of registered patients x the cost weight of
    the ASTRO-PU band the quinary band maps to (seed list_size_age_bands: 85_89 -> 75+, as
    OpenPrescribing's import_list_sizes.py maps them), weights from seed astro_pu_weights.

    * Only the male and female band rows are weighted: the published 'ALL' totals would count
      every patient twice, and ASTRO-PU has no weight for other sexes.
    * A band the seed does not know (a new layout) has no weight: it is left out of the
      ASTRO-PU but kept in the unweighted list size, so the gap shows (list_size_weighted <
      list_size) rather than vanishing.
    * The extract is dated the 1st of the month; it weights that month's prescribing.
    ASTRO-PU is an exact decimal (the weights are seeded as decimals), so a sum of it is the
    same whatever order DuckDB adds the rows in.
#}
with

list_sizes as (

    select
        practice_code,
        extract_month,
        sex,
        age_band,
        number_of_patients
    from {{ ref('stg_nhsd__list_sizes') }}
    where
        sex in ('M', 'F')
        and age_band != 'ALL'

),

age_bands as (

    select
        age_band,
        astro_pu_age_band
    from {{ ref('list_size_age_bands') }}

),

weights as (

    select
        astro_pu_age_band,
        sex,
        cost_weight
    from {{ ref('astro_pu_weights') }}

),

weighted as (

    select
        list_sizes.practice_code,
        list_sizes.extract_month,
        list_sizes.number_of_patients,
        weights.cost_weight,
        case
            when weights.cost_weight is not null then list_sizes.number_of_patients
        end as weighted_patients,
        list_sizes.number_of_patients * weights.cost_weight as astro_pu_cost
    from list_sizes
    left join age_bands
        on list_sizes.age_band = age_bands.age_band
    left join weights
        on
            age_bands.astro_pu_age_band = weights.astro_pu_age_band
            and list_sizes.sex = weights.sex

),

final as (

    select
        practice_code,
        extract_month as month_start_date,
        cast(sum(number_of_patients) as integer) as list_size,
        cast(coalesce(sum(weighted_patients), 0) as integer) as list_size_weighted,
        cast(coalesce(sum(astro_pu_cost), 0) as decimal(38, 10)) as astro_pu_cost
    from weighted
    group by practice_code, extract_month

)

select * from final
