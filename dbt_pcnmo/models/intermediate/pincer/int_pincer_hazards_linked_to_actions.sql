{#
    Each PINCER hazard a patient has at a month end (int_pincer_hazards_flagged_to_patient_months,
    one row per indicator, ME split into ME_FBC and ME_LFT), with the hazard's episode and
    the first completed action of the pharmacy team's PINCER action log that works it.

    * Episode: the run of consecutive months in which the same patient flags the same
      indicator at the same practice. It is identified from the first day of its first month
      (episode_start_date: the month the monthly search first finds it) and lasts to its last
      month end. A hazard that clears and comes back after a gap is a new episode.
    * Worked: an action in the latest PINCER action log (stg_local__pincer_actions) for the
      same patient and indicator, completed (actioned_date) on or after the episode's start.
      So a hazard found and fixed before its first month end is worked, and a recurrence
      needs an action of its own: one completed before the recurrence started belongs to the
      earlier episode. The log's practice is not matched, so a hazard worked before the
      patient moved practice counts as worked.
    first_actioned_date is the earliest such completion; a hazard month counts as actioned
    when it is on or before that month's end (so a later action never rewrites an earlier
    month), and the KPI (PS03) counts an episode as worked in a period when it is on or
    before the period end.
#}
{%- set indicators = {
    'A': 'has_a_hazard', 'B': 'has_b_hazard', 'C': 'has_c_hazard', 'D': 'has_d_hazard',
    'E': 'has_e_hazard', 'F': 'has_f_hazard', 'G': 'has_g_hazard', 'I': 'has_i_hazard',
    'K': 'has_k_hazard', 'AC': 'has_ac_hazard', 'ME_FBC': 'has_me_fbc_hazard',
    'ME_LFT': 'has_me_lft_hazard', 'LI': 'has_li_hazard', 'AM': 'has_am_hazard',
} %}

with

flagged as (

    select * from {{ ref('int_pincer_hazards_flagged_to_patient_months') }}

),

hazards as (

    {% for indicator, flag in indicators.items() %}
    select
        practice_code,
        patient_id,
        month_start_date,
        index_date,
        '{{ indicator }}' as pincer_indicator
    from flagged
    where {{ flag }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

numbered as (

    select
        *,
        (extract(year from month_start_date) * 12 + extract(month from month_start_date))
        - row_number() over (
            partition by practice_code, patient_id, pincer_indicator
            order by month_start_date
        ) as episode_number
    from hazards

),

episode_bounds as (

    select
        practice_code,
        patient_id,
        pincer_indicator,
        episode_number,
        min(month_start_date) as episode_start_date,
        max(index_date) as episode_end_date
    from numbered
    group by practice_code, patient_id, pincer_indicator, episode_number

),

episodes as (

    select
        numbered.practice_code,
        numbered.patient_id,
        numbered.month_start_date,
        numbered.index_date,
        numbered.pincer_indicator,
        episode_bounds.episode_start_date,
        episode_bounds.episode_end_date
    from numbered
    inner join episode_bounds
        on
            numbered.practice_code = episode_bounds.practice_code
            and numbered.patient_id = episode_bounds.patient_id
            and numbered.pincer_indicator = episode_bounds.pincer_indicator
            and numbered.episode_number = episode_bounds.episode_number

),

actions as (

    select
        patient_id,
        pincer_indicator,
        actioned_date
    from {{ ref('stg_local__pincer_actions') }}
    where actioned_date is not null

),

linked as (

    select
        episodes.practice_code,
        episodes.patient_id,
        episodes.month_start_date,
        episodes.pincer_indicator,
        min(actions.actioned_date) as first_actioned_date
    from episodes
    inner join actions
        on
            episodes.patient_id = actions.patient_id
            and episodes.pincer_indicator = actions.pincer_indicator
            and actions.actioned_date >= episodes.episode_start_date
    group by
        episodes.practice_code,
        episodes.patient_id,
        episodes.month_start_date,
        episodes.pincer_indicator

),

final as (

    select
        {{ surrogate_key([
            'episodes.practice_code', 'episodes.patient_id', 'episodes.month_start_date',
            'episodes.pincer_indicator',
        ]) }} as hazard_month_id,
        episodes.practice_code,
        episodes.patient_id,
        episodes.month_start_date,
        episodes.index_date,
        episodes.pincer_indicator,
        episodes.episode_start_date,
        episodes.episode_end_date,
        linked.first_actioned_date,
        coalesce(linked.first_actioned_date <= episodes.index_date, false) as is_actioned_by_month_end
    from episodes
    left join linked
        on
            episodes.practice_code = linked.practice_code
            and episodes.patient_id = linked.patient_id
            and episodes.month_start_date = linked.month_start_date
            and episodes.pincer_indicator = linked.pincer_indicator

)

select * from final
