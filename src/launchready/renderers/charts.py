"""Geometry for the HTML report's inline SVG charts: latency over time and a histogram.

Only arithmetic on numbers already in ``Report.extras["performance"]``; the template draws
the SVG (inline, so the report's ``default-src 'none'`` policy still holds: no scripts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

W, H = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 18, 28


@dataclass(frozen=True)
class Band:
    x: float
    width: float
    label: str


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    count: int


@dataclass(frozen=True)
class EndpointCharts:
    name: str
    summary: dict[str, Any] | None
    users: int | None
    target_ms: float
    p50: tuple[str, ...]  # SVG polyline points, one line per phase
    p95: tuple[str, ...]
    target_y: float | None
    bands: tuple[Band, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    bars: tuple[Bar, ...]
    bar_ticks: tuple[Tick, ...]


def _nice(value: float) -> float:
    for scale in (1, 10, 100, 1000, 10_000, 100_000, 1_000_000):
        for step in (1, 2, 5):
            if step * scale >= value:
                return float(step * scale)
    return value


def _ms(value: float) -> str:
    return f"{value / 1000:g} s" if value >= 1000 else f"{value:g} ms"


GAP = 6  # px between phases: time is drawn only where this endpoint was measured


def endpoint_charts(endpoint: dict[str, Any], phases: list[dict[str, Any]]) -> EndpointCharts:
    points = endpoint["timeline"]
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    # Points are stamped with their time bucket's start, so one may sit just before its
    # phase began: each point goes to the first phase it can belong to, and a phase is
    # drawn when it holds at least two of this endpoint's points.
    times = sorted({float(p[0]) for p in points})
    bucket = min((b - a for a, b in zip(times, times[1:], strict=False)), default=0.25)
    marked: list[tuple[float, float, str]] = [
        (float(ph["start_s"]), float(ph["end_s"]), str(ph["label"])) for ph in phases
    ]

    def first_phase(t: float) -> int:
        for i, (s0, e0, _) in enumerate(marked):
            if s0 - bucket < t <= e0:
                return i
        return -1

    held = [first_phase(float(p[0])) for p in points]
    spans = [ph for i, ph in enumerate(marked) if held.count(i) >= 2] or [
        (min(times), max(times) + bucket, "")
    ]
    total = sum(e - s for s, e, _ in spans) or 1.0
    usable = plot_w - GAP * (len(spans) - 1)
    offsets: list[float] = []
    acc = 0.0
    for i, (s0, e0, _) in enumerate(spans):
        offsets.append(LEFT + acc / total * usable + i * GAP)
        acc += e0 - s0
    peak = max((p[2] for p in points), default=1.0)
    target = float(endpoint["target_ms"])
    y_max = _nice(max(peak, 1.0) * 1.1)

    def span_of(t: float) -> int:
        for i, (s0, e0, _) in enumerate(spans):
            if s0 - bucket < t <= e0:
                return i
        return -1

    def x(i: int, t: float) -> float:
        s0, e0, _ = spans[i]
        return round(offsets[i] + (min(max(t, s0), e0) - s0) / total * usable, 1)

    def y(ms: float) -> float:
        return round(TOP + plot_h - min(ms, y_max) / y_max * plot_h, 1)

    lines50: dict[int, list[str]] = {}
    lines95: dict[int, list[str]] = {}
    for p in points:
        i = span_of(p[0])
        if i >= 0:
            lines50.setdefault(i, []).append(f"{x(i, p[0])},{y(p[1])}")
            lines95.setdefault(i, []).append(f"{x(i, p[0])},{y(p[2])}")
    name = endpoint["name"]
    bands = []
    for i, (s0, e0, label) in enumerate(spans):
        width = round(x(i, e0) - x(i, s0), 1)
        text = label.removeprefix("performance: ").removeprefix(name).strip()
        bands.append(Band(x(i, s0), width, text))
    x_ticks = tuple(Tick(b.x, f"{s0:.0f} s") for b, (s0, _, _) in zip(bands, spans, strict=True))
    p50 = tuple(" ".join(v) for _, v in sorted(lines50.items()))
    p95 = tuple(" ".join(v) for _, v in sorted(lines95.items()))
    y_ticks = tuple(Tick(y(y_max * i / 4), _ms(y_max * i / 4)) for i in range(5))
    bins = endpoint["histogram"]
    most = max((b[1] for b in bins), default=1)
    slot = plot_w / max(len(bins), 1)
    bars = tuple(
        Bar(
            round(LEFT + i * slot + 1, 1),
            round(TOP + plot_h - b[1] / most * plot_h, 1),
            round(max(slot - 2, 1), 1),
            round(b[1] / most * plot_h, 1),
            f"≤ {_ms(b[0])}",
            int(b[1]),
        )
        for i, b in enumerate(bins)
    )
    every = max(1, len(bins) // 6)
    bar_ticks = tuple(
        Tick(b.x + b.width / 2, b.label) for i, b in enumerate(bars) if i % every == 0
    )
    return EndpointCharts(
        name=endpoint["name"],
        summary=endpoint.get("summary"),
        users=endpoint.get("users"),
        target_ms=target,
        p50=p50,
        p95=p95,
        target_y=y(target) if target <= y_max else None,
        bands=tuple(bands),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        bars=bars,
        bar_ticks=bar_ticks,
    )


def performance_charts(extras: dict[str, object]) -> list[EndpointCharts]:
    data = extras.get("performance")
    if not isinstance(data, dict):
        return []
    return [
        endpoint_charts(e, data.get("phases", []))
        for e in data.get("endpoints", [])
        if e.get("timeline")
    ]
