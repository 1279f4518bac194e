"""`generate()`: build the whole synthetic inbox for a configuration."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import numpy as np

from synthetic.background import BackgroundWriters
from synthetic.clinical import ClinicalRecord, simulate_clinical
from synthetic.config import GenerationSummary, SyntheticConfig, reporting_months
from synthetic.extracts import write_clinical_extracts
from synthetic.logs import write_logs
from synthetic.organisations import build_icb
from synthetic.population import nhs_numbers, number_blocks, simulate_population
from synthetic.public import (
    list_sizes,
    write_epcn,
    write_epd,
    write_epraccur,
    write_list_sizes,
)

# Each part of the simulation draws from its own stream, so changing one part (say, the
# logs) never shifts the random numbers another part sees.
STREAMS = ("organisations", "numbers", "population", "clinical", "logs", "public")


def generate(inbox: Path, config: SyntheticConfig) -> GenerationSummary:
    """Write every month folder of a synthetic inbox; the same config gives the same bytes.

    Month folders being generated are replaced; anything else in the inbox is left alone.
    """
    months = reporting_months(config)
    streams = dict(
        zip(STREAMS, np.random.SeedSequence(config.seed).spawn(len(STREAMS)), strict=True)
    )
    rng = {name: np.random.default_rng(seq) for name, seq in streams.items()}
    icb = build_icb(config, months, rng["organisations"])
    inbox.mkdir(parents=True, exist_ok=True)
    for month in months:
        shutil.rmtree(inbox / month.folder, ignore_errors=True)
    summary = GenerationSummary(inbox=str(inbox), months=[m.folder for m in months])

    window_start = months[0].first_day - np.timedelta64(365, "D")
    window_end = months[-1].last_day
    clinical_pcns = icb.pcns[: config.clinical_pcns]
    joiners = 1.4  # headroom for the year's joiners on top of the list size
    needs = [
        int(sum(icb.practices[p].list_size for p in pcn.practices) * joiners) + 1000
        for pcn in clinical_pcns
    ]
    # The 999 test range holds about 909,000 valid numbers: a larger ICB reuses it, block by
    # block of PCNs (population.number_blocks says why that is safe).
    block_of = {pcn: block for block in number_blocks(needs) for pcn in block}
    records: list[ClinicalRecord] = []
    extracts = BackgroundWriters(summary)
    for k, pcn in enumerate(clinical_pcns):
        block = block_of[k]
        if k == block[0]:
            numbers = nhs_numbers(rng["numbers"], sum(needs[b] for b in block))
            used = 0
        practices = [icb.practices[p] for p in pcn.practices]
        pop = simulate_population(
            rng["population"], practices, window_start, window_end, numbers[used:]
        )
        used += len(pop)
        # The subject PCN's last practice under-delivers SMRs (when it has more than one).
        under = practices[-1].index if k == 0 and len(practices) > 1 else None
        record = simulate_clinical(rng["clinical"], pop, practices, months, under)
        records.append(record)
        extracts.submit(write_clinical_extracts, inbox, record, practices, months, k == 0)
        write_logs(inbox, rng["logs"], pcn, practices, months, record, summary, inject=k == 0)
        if k == 0:
            summary.cohort = int(record.cohort.sum())
            summary.smrs = record.smrs
            if under is not None:
                summary.imperfections.insert(
                    0,
                    f"under-delivering practice: {icb.practices[under].code} does about 40% "
                    "of its fair share of SMRs",
                )
        summary.patients += len(pop)

    sizes = list_sizes(icb, months, records)
    write_list_sizes(inbox, icb, months, sizes, summary)
    write_epd(inbox, rng["public"], icb, months, sizes, records, summary)
    write_epcn(inbox, icb, months, summary)
    write_epraccur(inbox, icb, months, summary)
    summary.icb_list_size = int(sizes.counts[:, -1].sum())
    extracts.finish()
    if icb.mover is not None and icb.move_date is not None:
        mover = icb.practices[icb.mover]
        summary.imperfections.append(
            f"PCN change: {mover.code} left {icb.pcns[mover.pcn_index].code} after "
            f"{icb.move_date - timedelta(days=1):%Y-%m-%d} and joined "
            f"{icb.pcns[mover.pcn_index - 1].code} on {icb.move_date:%Y-%m-%d}"
        )
    return summary
