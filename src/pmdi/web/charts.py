"""Bar charts laid out as plain data (rectangles, rules and labels in viewBox units) for the template to draw
as inline SVG: no script and no style attribute, and every label goes through Jinja's autoescape."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Format = Callable[[float], str]
WIDTH = 640.0
NO_VALUE = "\u2013"  # en dash
_LABEL_CHARS = 24


@dataclass(frozen=True)
class Series:
    """One row of values; `css` themes it (the template's stylesheet), `fill` is the colour without one."""

    name: str
    css: str
    fill: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: Series
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Chart:
    """`key` prefixes the element ids; `table` is the data again, for screen readers (header: `series`)."""

    key: str
    title: str
    summary: str
    height: float
    series: Sequence[Series]
    table: list[list[str]]
    bars: list[Bar]
    rules: list[Rule]
    labels: list[Label]
    width: float = WIDTH


def nice_top(largest: float, whole: bool) -> tuple[float, float]:
    """An axis maximum and step of 1, 2, 2.5 or 5 times a power of ten, giving two to five gridlines; counts
    (`whole`) step by whole numbers."""
    if largest <= 0:
        return 1.0, 1.0
    raw = largest / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    multiples = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in multiples if m * magnitude >= raw)
    if whole:
        step = max(1.0, step)
    return math.ceil(largest / step - 1e-9) * step, step


def short(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _r(value: float) -> float:
    return round(value, 2)


def _cell(value: float | None, fmt: Format) -> str:
    return NO_VALUE if value is None else fmt(value)


def _table(categories: Sequence[str], series: Sequence[Series], fmt: Format) -> list[list[str]]:
    return [[category, *(_cell(s.values[i], fmt) for s in series)] for i, category in enumerate(categories)]


def columns(
    key: str,
    title: str,
    summary: str,
    categories: Sequence[str],
    ticks: Sequence[str],
    series: Sequence[Series],
    fmt: Format,
    whole: bool = False,
) -> Chart:
    """Vertical bars, one slot per category; several series overlap in the order given (draw the largest
    first). `ticks` are the short category names under the axis, of which about six are shown."""
    height, left, right, top, bottom = 200.0, 52.0, 24.0, 10.0, 24.0
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    axis, step = nice_top(max((v or 0.0 for s in series for v in s.values), default=0.0), whole)
    rules, labels, bars = [], [], []
    for n in range(round(axis / step) + 1):
        y = _r(top + plot_h - n * step / axis * plot_h)
        rules.append(Rule(left, y, WIDTH - right, y))
        labels.append(Label(left - 6, y + 4, fmt(n * step), "end"))
    slot = plot_w / max(1, len(categories))
    gap = slot * 0.2 if slot >= 4 else 0.0
    every = math.ceil(len(categories) / 6)
    for i, category in enumerate(categories):
        x = left + i * slot
        for s in series:
            bar_h = (s.values[i] or 0.0) / axis * plot_h
            text = f"{category} · {s.name}: {_cell(s.values[i], fmt)}"
            bars.append(Bar(_r(x + gap / 2), _r(top + plot_h - bar_h), _r(slot - gap), _r(bar_h), s, text))
        if (len(categories) - 1 - i) % every == 0:
            labels.append(Label(_r(x + slot / 2), height - 6, ticks[i]))
    return Chart(key, title, summary, height, series, _table(categories, series, fmt), bars, rules, labels)


def rows(
    key: str,
    title: str,
    summary: str,
    categories: Sequence[str],
    series: Sequence[Series],
    fmt: Format,
    notes: Sequence[str],
) -> Chart:
    """Horizontal bars, one row per category, the series stacked left to right; `notes` follow each bar."""
    left, right, top, row_h, bar_h = 170.0, 110.0, 8.0, 26.0, 16.0
    plot_w, bottom = WIDTH - left - right, top + row_h * len(categories)
    totals = [sum(s.values[i] or 0.0 for s in series) for i in range(len(categories))]
    axis, step = nice_top(max(totals, default=0.0), whole=True)
    rules, labels, bars = [], [], []
    for n in range(round(axis / step) + 1):
        x = _r(left + n * step / axis * plot_w)
        rules.append(Rule(x, top, x, bottom))
        labels.append(Label(x, bottom + 16, fmt(n * step)))
    for i, category in enumerate(categories):
        y, x = _r(top + i * row_h + (row_h - bar_h) / 2), left
        for s in series:
            width = (s.values[i] or 0.0) / axis * plot_w
            bars.append(
                Bar(_r(x), y, _r(width), bar_h, s, f"{category} · {s.name}: {_cell(s.values[i], fmt)}")
            )
            x += width
        labels.append(Label(left - 8, y + bar_h - 4, short(category), "end"))
        labels.append(Label(_r(x + 6), y + bar_h - 4, notes[i], "start"))
    table = _table(categories, series, fmt)
    return Chart(key, title, summary, bottom + 22, series, table, bars, rules, labels)
