"""The funnel plot of prescribing cost per ASTRO-PU: each PCN's cost per weighted patient
against its size (ASTRO-PU), the ICB median, and 95% and 99.8% control limits around it.

Method (a funnel plot for a mean with an estimated spread, as Spiegelhalter describes for
comparing institutions): with y_i a PCN's cost per ASTRO-PU and n_i its ASTRO-PU, the spread of
cost per weighted patient is estimated from the ICB's PCNs as
    s^2 = sum(n_i * (y_i - m)^2) / (k - 1)
around the ICB median m (k PCNs), and a PCN of size n is "in control" between
    m - z * s / sqrt(n)  and  m + z * s / sqrt(n)
for z = 1.96 (95%) and z = 3.09 (99.8%). A PCN outside the 99.8% limits differs from the ICB by
more than its size explains; inside them, its position is within the usual spread. With
fewer than three PCNs there is no spread to estimate and no limits are drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.96
Z_998 = 3.09
CURVE_POINTS = 40


@dataclass(frozen=True)
class FunnelPoint:
    code: str
    astro_pu: float
    cost_per_astro_pu: float


def spread(points: list[FunnelPoint], centre: float) -> float | None:
    """s: the estimated standard deviation of cost per weighted patient (None below 3 PCNs)."""
    if len(points) < 3:
        return None
    total = sum(p.astro_pu * (p.cost_per_astro_pu - centre) ** 2 for p in points)
    return math.sqrt(total / (len(points) - 1))


def limits(centre: float, s: float, astro_pu: float, z: float) -> tuple[float, float]:
    half = z * s / math.sqrt(astro_pu)
    return centre - half, centre + half


def outside(point: FunnelPoint, centre: float, s: float | None) -> str:
    """'above', 'below' (outside the 99.8% limits) or '' (inside, or no limits)."""
    if s is None:
        return ""
    low, high = limits(centre, s, point.astro_pu, Z_998)
    if point.cost_per_astro_pu > high:
        return "above"
    if point.cost_per_astro_pu < low:
        return "below"
    return ""


def curve(
    points: list[FunnelPoint], centre: float, s: float
) -> list[tuple[float, float, float, float, float]]:
    """(ASTRO-PU, lower 99.8%, lower 95%, upper 95%, upper 99.8%) from the smallest PCN's size
    to the largest's, for the chart's limit lines."""
    smallest = min(p.astro_pu for p in points) * 0.8
    largest = max(p.astro_pu for p in points) * 1.1
    rows = []
    for step in range(CURVE_POINTS + 1):
        n = smallest + (largest - smallest) * step / CURVE_POINTS
        low_998, high_998 = limits(centre, s, n, Z_998)
        low_95, high_95 = limits(centre, s, n, Z_95)
        rows.append((n, low_998, low_95, high_95, high_998))
    return rows
