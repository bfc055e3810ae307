"""Axes for the server-drawn SVG charts (the search timeline and the comparison chart).

The charts are drawn with no viewBox on the outer <svg>, so lengths are CSS pixels and text
keeps its size at any width: x positions are percentages of the width, y positions pixels. Only
the marks (bars, lines) sit in an inner <svg> stretched to the plot area. Labels that would
crowd a phone are marked `minor` and hidden there by the stylesheet."""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Outer chart geometry, in pixels: room above the plot for the top y label, below for x labels.
PLOT_TOP, PLOT_HEIGHT, AXIS_ROOM = 16, 110, 26
CHART_HEIGHT = PLOT_TOP + PLOT_HEIGHT + AXIS_ROOM
BASELINE = PLOT_TOP + PLOT_HEIGHT
UNIT = 10  # width of one period in the inner <svg>'s coordinates
# At most this many x labels on a wide screen; half of them (the major ones) on a phone.
MAX_X_LABELS = 12
MAX_MAJOR_LABELS = 5
WIDE_GAP = 15.0  # a gap at least this wide (percent of the chart) is labelled in words


@dataclass(frozen=True)
class XTick:
    pos: float  # percent of the width: the centre of the labelled period
    label: str
    minor: bool
    anchor: str  # text-anchor, so the first and last labels stay inside the chart


@dataclass(frozen=True)
class YTick:
    y: float  # pixels from the top of the chart
    label: str


@dataclass(frozen=True)
class Gap:
    """A run of periods in which the archive (with these filters) holds no article at all."""

    x: float  # inner coordinates
    width: float
    pos: float  # percent: the middle, for a label
    label: str  # e.g. "1988 to 2003: no articles in the archive"
    wide: bool  # wide enough to say so in words on the chart


def nice_top(value: float, *, integer: bool) -> tuple[float, float]:
    """(top, step): a round top at or above `value`, split into 2 to 5 round steps."""
    if value <= 0:
        return (1.0, 1.0) if integer else (0.01, 0.005)
    exponent = math.floor(math.log10(value))
    for base in (1.0, 2.0, 2.5, 5.0, 10.0):
        step = base * 10**exponent / 4
        if integer:
            step = max(1.0, math.ceil(step))
        top = math.ceil(value / step - 1e-9) * step
        if top / step <= 5:
            return top, step
    return value, value  # not reached: base 10 always fits


def y_ticks(top: float, step: float, fmt: Callable[[float], str]) -> list[YTick]:
    """Grid lines from 0 to `top`, each labelled (0 is the baseline, left unlabelled)."""
    ticks = []
    n = round(top / step)
    for i in range(1, n + 1):
        value = i * step
        ticks.append(YTick(round(BASELINE - PLOT_HEIGHT * value / top, 1), fmt(value)))
    return ticks


def bar_height(value: float, top: float) -> float:
    return round(PLOT_HEIGHT * value / top, 2) if top else 0.0


def period_label(key: str) -> str:
    """2021 -> 2021; 2021-03 -> Mar 2021; 2021-03-05 -> 5 Mar 2021."""
    parts = key.split("-")
    if len(parts) == 1:
        return key
    month = calendar.month_abbr[int(parts[1])]
    if len(parts) == 2:
        return f"{month} {parts[0]}"
    return f"{int(parts[2])} {month} {parts[0]}"


def _candidates(keys: Sequence[str]) -> list[tuple[int, str, int]]:
    """(index, label, rank) of periods worth a label: years on years, month starts on days..."""
    out = []
    width = len(keys[0]) if keys else 0
    span_years = len({k[:4] for k in keys})
    for i, key in enumerate(keys):
        year, rest = key[:4], key[5:]
        if width == 4:
            out.append((i, year, int(year)))
        elif width == 7:
            month = int(rest)
            if span_years > 2:
                if month == 1 or i == 0:
                    out.append((i, year, int(year)))
            else:
                label = period_label(key) if month == 1 or i == 0 else calendar.month_abbr[month]
                out.append((i, label, month - 1))
        else:
            day = int(key[8:])
            if len(keys) > 45:
                if day == 1 or i == 0:
                    month = int(key[5:7])
                    label = (
                        period_label(key[:7])
                        if month == 1 or i == 0
                        else calendar.month_abbr[month]
                    )
                    out.append((i, label, month - 1))
            elif day in (1, 8, 15, 22) or i == 0:
                label = period_label(key) if day == 1 or i == 0 else str(day)
                out.append((i, label, day - 1))
    return out


def _every(ranks: list[int], most: int) -> int:
    """The smallest round stride that leaves at most `most` of the candidates."""
    for stride in (1, 2, 3, 5, 10, 20, 25, 50, 100, 200, 500, 1000):
        if len([r for r in ranks if r % stride == 0]) <= most:
            return stride
    return max(len(ranks), 1)


def x_ticks(keys: Sequence[str]) -> list[XTick]:
    """Labels for periods `keys` (YYYY, YYYY-MM or YYYY-MM-DD) at round intervals."""
    if not keys:
        return []
    candidates = _candidates(keys)
    ranks = [rank for _, _, rank in candidates]
    stride = _every(ranks, MAX_X_LABELS)
    major = _every(ranks, MAX_MAJOR_LABELS)
    n = len(keys)
    ticks = []
    for i, label, rank in candidates:
        if rank % stride and i:
            continue
        pos = round((i + 0.5) * 100 / n, 3)
        anchor = "start" if pos < 8 else "end" if pos > 92 else "middle"
        ticks.append(XTick(pos, label, minor=bool(rank % major) and i > 0, anchor=anchor))
    # The first period is always labelled; drop a round label that would collide with it, and
    # keep a phone's labels (the major ones) apart from it too.
    if len(ticks) > 1 and ticks[1].pos - ticks[0].pos < 100 / MAX_X_LABELS:
        del ticks[1]
    return [
        t
        if not i or t.pos - ticks[0].pos >= 100 / (MAX_MAJOR_LABELS + 1)
        else XTick(t.pos, t.label, True, t.anchor)
        for i, t in enumerate(ticks)
    ]


def gaps(keys: Sequence[str], archive_counts: Sequence[int]) -> list[Gap]:
    """Runs of periods in which the archive holds nothing (so an empty stretch of the chart says
    whether nothing matched or there was nothing to match)."""
    out = []
    n = len(keys)
    i = 0
    while i < n:
        if archive_counts[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and not archive_counts[j + 1]:
            j += 1
        first, last = period_label(keys[i]), period_label(keys[j])
        span = first if i == j else f"{first} to {last}"
        width = (j - i + 1) * 100 / n
        out.append(
            Gap(
                x=i * UNIT,
                width=(j - i + 1) * UNIT,
                pos=round((i + j + 1) * 50 / n, 3),
                label=f"{span}: no articles in the archive",
                wide=width >= WIDE_GAP,
            )
        )
        i = j + 1
    return out


def count_label(value: float) -> str:
    return f"{int(value):,}"


def percent_label(value: float) -> str:
    """A share (0.0123) as a percentage with as few decimals as the scale needs."""
    percent = value * 100
    if percent >= 10 or percent == int(percent):
        return f"{percent:.0f} %"
    if percent >= 1:
        return f"{percent:.1f} %".replace(".0 %", " %")
    return f"{percent:.2g} %"
