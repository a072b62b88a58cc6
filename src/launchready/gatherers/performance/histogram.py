"""Latency recording: HdrHistogram for the whole run, a coarse one per time bucket.

Values are recorded in microseconds with three significant digits (0.1% error), from 1 µs
to one hour; percentiles are never rounded to two digits the way Locust's are. Each time
bucket keeps its own small histogram (two digits) so the report can draw latency over time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from hdrh.histogram import HdrHistogram

_HIGHEST_US = 3600 * 1_000_000
# Histogram chart bins (upper bounds, ms): roughly logarithmic, readable labels.
CHART_BINS_MS = (
    1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700,
    1000, 1500, 2000, 3000, 5000, 7000, 10_000, 20_000, 60_000, 3_600_000,
)  # fmt: skip


@dataclass(frozen=True)
class LatencySummary:
    """What one endpoint did in one phase. Times in milliseconds."""

    count: int
    errors: int
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    rps: float
    statuses: tuple[tuple[str, int], ...]  # ("200", 812), ("timeout", 2), most common first

    @property
    def error_rate(self) -> float:
        return self.errors / self.count if self.count else 0.0

    def brief(self) -> str:
        return (
            f"p50 {self.p50_ms:.0f} ms, p95 {self.p95_ms:.0f} ms, p99 {self.p99_ms:.0f} ms, "
            f"max {self.max_ms:.0f} ms over {self.count} requests"
            + (f", {self.errors} errors" if self.errors else "")
        )


@dataclass(frozen=True)
class GeneratorLag:
    """How late the generator sent, relative to when each request was due."""

    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    def brief(self) -> str:
        return f"generator lag p99 {self.p99_ms:.1f} ms, max {self.max_ms:.1f} ms"


@dataclass(frozen=True)
class TimePoint:
    t_s: float  # bucket start, seconds since the run's origin
    count: int
    errors: int
    p50_ms: float
    p95_ms: float
    max_ms: float


@dataclass(frozen=True)
class HistogramBin:
    upper_ms: float
    count: int


class Recorder:
    """Latencies and outcomes of one endpoint in one phase; not thread-safe (one loop)."""

    def __init__(self, origin: float, bucket_s: float) -> None:
        self.origin = origin  # loop time that t=0 of the timeline refers to
        self.bucket_s = bucket_s
        self.hist = HdrHistogram(1, _HIGHEST_US, 3)
        self.statuses: Counter[str] = Counter()
        self.errors = 0
        self.first: float | None = None
        self.last: float | None = None
        self._buckets: dict[int, tuple[HdrHistogram, list[int]]] = {}

    def record(self, start: float, end: float, status: str, error: bool) -> None:
        micros = max(1, min(_HIGHEST_US, int((end - start) * 1_000_000)))
        self.hist.record_value(micros)
        self.statuses[status] += 1
        if error:
            self.errors += 1
        if self.first is None:
            self.first = start
        self.last = end
        # Bucketed by when the request was due, so a stall shows where it began.
        index = int((start - self.origin) / self.bucket_s)
        bucket = self._buckets.get(index)
        if bucket is None:
            bucket = self._buckets[index] = (HdrHistogram(1, _HIGHEST_US, 2), [0])
        bucket[0].record_value(micros)
        if error:
            bucket[1][0] += 1

    @property
    def count(self) -> int:
        return int(self.hist.get_total_count())

    def summary(self) -> LatencySummary:
        h = self.hist
        count = self.count
        span = (self.last - self.first) if self.first is not None and self.last else 0.0

        def ms(p: float) -> float:
            return round(h.get_value_at_percentile(p) / 1000, 3) if count else 0.0

        return LatencySummary(
            count=count,
            errors=self.errors,
            p50_ms=ms(50),
            p90_ms=ms(90),
            p95_ms=ms(95),
            p99_ms=ms(99),
            max_ms=round(h.get_max_value() / 1000, 3) if count else 0.0,
            mean_ms=round(h.get_mean_value() / 1000, 3) if count else 0.0,
            rps=round(count / span, 2) if span > 0 else 0.0,
            statuses=tuple(self.statuses.most_common()),
        )

    def timeline(self, shift_s: float = 0.0) -> tuple[TimePoint, ...]:
        points = []
        for index in sorted(self._buckets):
            h, errors = self._buckets[index]
            points.append(
                TimePoint(
                    t_s=round(shift_s + index * self.bucket_s, 3),
                    count=int(h.get_total_count()),
                    errors=errors[0],
                    p50_ms=round(h.get_value_at_percentile(50) / 1000, 2),
                    p95_ms=round(h.get_value_at_percentile(95) / 1000, 2),
                    max_ms=round(h.get_max_value() / 1000, 2),
                )
            )
        return tuple(points)

    def chart_bins(self) -> tuple[HistogramBin, ...]:
        """Counts per CHART_BINS_MS bin, trimmed of empty bins at both ends."""
        counts = [0] * len(CHART_BINS_MS)
        for item in self.hist.get_recorded_iterator():
            value_ms = item.value_iterated_to / 1000
            for i, upper in enumerate(CHART_BINS_MS):
                if value_ms <= upper:
                    counts[i] += item.count_at_value_iterated_to
                    break
        used = [i for i, c in enumerate(counts) if c]
        if not used:
            return ()
        return tuple(
            HistogramBin(float(CHART_BINS_MS[i]), counts[i]) for i in range(used[0], used[-1] + 1)
        )
