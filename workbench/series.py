"""Downsampling of metric series for charts: a history of a million points is drawn from at
most a few thousand without losing its shape.

Largest-Triangle-Three-Buckets (Steinarsson, 2013): the first and last points stay, and each
bucket in between keeps the point that spans the largest triangle with the point kept before
and the mean of the next bucket, so spikes and the trend survive where a stride would drop them.
Pure Python over plain sequences: shared by the server (metric histories, figures) and any
face that draws a series.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

P = TypeVar("P")

# At most this many points per series go to a chart (the bar: ~2,000).
MAX_POINTS = 2000


def lttb_indices(xs: Sequence[float], ys: Sequence[float], threshold: int) -> list[int]:
    """The indices of at most ``threshold`` points of (xs, ys) that keep the series' shape.

    ``xs`` must be sorted. With ``threshold`` >= the length (or < 3), every index is kept.
    """
    n = len(xs)
    if len(ys) != n:
        raise ValueError(f"xs and ys differ in length ({n} and {len(ys)})")
    if threshold >= n or threshold < 3:
        return list(range(n))
    kept = [0]
    every = (n - 2) / (threshold - 2)  # bucket width, first and last point excluded
    a = 0
    for i in range(threshold - 2):
        # The next bucket's mean: the third corner of the triangle.
        start_next = int((i + 1) * every) + 1
        end_next = min(int((i + 2) * every) + 1, n)
        if start_next >= end_next:  # the last bucket: the last point is its mean
            avg_x, avg_y = xs[n - 1], ys[n - 1]
        else:
            span = end_next - start_next
            avg_x = sum(xs[start_next:end_next]) / span
            avg_y = sum(ys[start_next:end_next]) / span
        start, end = int(i * every) + 1, int((i + 1) * every) + 1
        ax, ay = xs[a], ys[a]
        best, best_area = start, -1.0
        for j in range(start, end):
            area = abs((ax - avg_x) * (ys[j] - ay) - (ax - xs[j]) * (avg_y - ay))
            if area > best_area:
                best, best_area = j, area
        kept.append(best)
        a = best
    kept.append(n - 1)
    return kept


def downsample(
    points: Sequence[P],
    x: Sequence[float],
    y: Sequence[float],
    max_points: int = MAX_POINTS,
) -> list[P]:
    """``points`` thinned to at most ``max_points`` by LTTB over their (x, y)."""
    if len(points) <= max_points:
        return list(points)
    return [points[i] for i in lttb_indices(x, y, max_points)]
