"""Markers drawn from remembered corners are the paths drawn corner by corner before."""

from __future__ import annotations

import math

import pytest

from portal.services.mood_chart import MARKER, SHAPES, UNKNOWN_SHAPE, _num, _polygon, marker_path

SHAPE_NAMES = sorted({*SHAPES.values(), UNKNOWN_SHAPE, "circle", "square", "diamond"})


def _reference_marker_path(shape: str, x: float, y: float, r: float) -> str:
    """marker_path as it was written before its corners were remembered: every corner computed per point."""
    if shape in ("circle", "hollow-circle"):
        return f"M{_num(x - r)} {_num(y)}a{_num(r)} {_num(r)} 0 1 0 {_num(2 * r)} 0a{_num(r)} {_num(r)} 0 1 0 {_num(-2 * r)} 0Z"
    if shape in ("square", "hollow-square"):
        s = r * 0.85
        return _polygon([(x - s, y - s), (x + s, y - s), (x + s, y + s), (x - s, y + s)])
    if shape in ("diamond", "hollow-diamond"):
        return _polygon([(x, y - r * 1.2), (x + r, y), (x, y + r * 1.2), (x - r, y)])
    if shape == "triangle-up":
        return _polygon([(x, y - r * 1.15), (x + r * 1.1, y + r * 0.8), (x - r * 1.1, y + r * 0.8)])
    if shape == "triangle-down":
        return _polygon([(x, y + r * 1.15), (x + r * 1.1, y - r * 0.8), (x - r * 1.1, y - r * 0.8)])
    if shape == "hourglass":
        return _polygon([(x - r, y - r), (x + r, y - r), (x - r, y + r), (x + r, y + r)])
    if shape == "hexagon":
        return _polygon([(x + r * math.cos(a), y + r * math.sin(a)) for a in (k * math.pi / 3 for k in range(6))])
    if shape == "star":
        outer, inner = r * 1.25, r * 0.55
        corners = [
            (
                x + (outer if k % 2 == 0 else inner) * math.sin(k * math.pi / 5),
                y - (outer if k % 2 == 0 else inner) * math.cos(k * math.pi / 5),
            )
            for k in range(10)
        ]
        return _polygon(corners)
    if shape in ("plus", "cross"):
        w = r * 0.38
        arms = [
            (-w, -r),
            (w, -r),
            (w, -w),
            (r, -w),
            (r, w),
            (w, w),
            (w, r),
            (-w, r),
            (-w, w),
            (-r, w),
            (-r, -w),
            (-w, -w),
        ]
        if shape == "cross":
            c = math.cos(math.pi / 4)
            arms = [((dx - dy) * c, (dx + dy) * c) for dx, dy in arms]
        return _polygon([(x + dx, y + dy) for dx, dy in arms])
    raise ValueError(f"unknown marker shape {shape!r}")


@pytest.mark.parametrize("shape", SHAPE_NAMES)
def test_it_draws_every_shape_as_before(shape: str) -> None:
    for x, y in [(0, 0), (56.0, 10.0), (123.4, 187.3), (599.9, 0.1), (301.7, 99.95)]:
        for r in (MARKER, 4.5, 7):
            assert marker_path(shape, x, y, r) == _reference_marker_path(shape, x, y, r)


def test_it_refuses_an_unknown_shape() -> None:
    with pytest.raises(ValueError, match="unknown marker shape"):
        marker_path("blob", 1.0, 1.0, MARKER)
