"""Markers: an absolute start and a relative outline, landing on the corners the shapes are made of."""

from __future__ import annotations

import math
import re

import pytest

from portal.services.mood_chart import MARKER, SHAPES, UNKNOWN_SHAPE, marker_path

SHAPE_NAMES = sorted({*SHAPES.values(), UNKNOWN_SHAPE, "circle", "square", "diamond"})
POLYGONS = [shape for shape in SHAPE_NAMES if shape not in ("circle", "hollow-circle")]
CENTRES = [(0, 0), (56.0, 10.0), (123.4, 187.3), (599.9, 0.1), (301.7, 99.95)]


def _exact_corners(shape: str, x: float, y: float, r: float) -> list[tuple[float, float]]:
    """Each polygon's corners, worked out here from the shapes' definitions, independently of the code."""
    if shape in ("square", "hollow-square"):
        s = r * 0.85
        return [(x - s, y - s), (x + s, y - s), (x + s, y + s), (x - s, y + s)]
    if shape in ("diamond", "hollow-diamond"):
        return [(x, y - r * 1.2), (x + r, y), (x, y + r * 1.2), (x - r, y)]
    if shape == "triangle-up":
        return [(x, y - r * 1.15), (x + r * 1.1, y + r * 0.8), (x - r * 1.1, y + r * 0.8)]
    if shape == "triangle-down":
        return [(x, y + r * 1.15), (x + r * 1.1, y - r * 0.8), (x - r * 1.1, y - r * 0.8)]
    if shape == "hourglass":
        return [(x - r, y - r), (x + r, y - r), (x - r, y + r), (x + r, y + r)]
    if shape == "hexagon":
        return [(x + r * math.cos(k * math.pi / 3), y + r * math.sin(k * math.pi / 3)) for k in range(6)]
    if shape == "star":
        radii = [r * 1.25 if k % 2 == 0 else r * 0.55 for k in range(10)]
        return [(x + radii[k] * math.sin(k * math.pi / 5), y - radii[k] * math.cos(k * math.pi / 5)) for k in range(10)]
    if shape in ("plus", "cross"):
        w = r * 0.38
        arms = [(-w, -r), (w, -r), (w, -w), (r, -w), (r, w), (w, w), (w, r), (-w, r), (-w, w), (-r, w), (-r, -w), (-w, -w)]
        if shape == "cross":
            c = math.cos(math.pi / 4)
            arms = [((dx - dy) * c, (dx + dy) * c) for dx, dy in arms]
        return [(x + dx, y + dy) for dx, dy in arms]
    raise AssertionError(shape)


def _drawn_corners(path: str) -> list[tuple[float, float]]:
    """Follow a path of one M, relative l steps and a Z, as a browser would."""
    match = re.fullmatch(r"M(-?[\d.]+) (-?[\d.]+)((?:l-?[\d.]+ -?[\d.]+)+)Z", path)
    assert match, path
    x, y = float(match[1]), float(match[2])
    corners = [(x, y)]
    for dx, dy in re.findall(r"l(-?[\d.]+) (-?[\d.]+)", match[3]):
        x, y = x + float(dx), y + float(dy)
        corners.append((x, y))
    return corners


@pytest.mark.parametrize("shape", POLYGONS)
def test_it_draws_every_polygon_through_its_corners(shape: str) -> None:
    for x, y in CENTRES:
        for r in (MARKER, 7):
            drawn = _drawn_corners(marker_path(shape, x, y, r))
            exact = _exact_corners(shape, x, y, r)
            assert len(drawn) == len(exact)
            # A tenth of a unit is a tenth of a CSS pixel on a phone: the start is
            # rounded to one decimal, each step to two.
            for (dx, dy), (ex, ey) in zip(drawn, exact, strict=True):
                assert abs(dx - ex) < 0.1 and abs(dy - ey) < 0.1, (shape, x, y, r)


@pytest.mark.parametrize("shape", ["circle", "hollow-circle"])
def test_it_draws_a_circle_as_two_arcs_from_its_left_edge(shape: str) -> None:
    assert marker_path(shape, 123.4, 187.3, MARKER) == "M118.9 187.3a4.5 4.5 0 1 0 9 0a4.5 4.5 0 1 0 -9 0Z"
    assert marker_path(shape, 0, 0, 7) == "M-7 0a7 7 0 1 0 14 0a7 7 0 1 0 -14 0Z"


def test_it_writes_plain_short_numbers() -> None:
    path = marker_path("square", 10.0, 10.0, MARKER)
    # No "-0", no trailing zeros, no exponent, no comma (SVG reads all of these, some badly).
    assert path == "M6.2 6.2l7.65 0l0 7.65l-7.65 0Z"


def test_it_refuses_an_unknown_shape() -> None:
    with pytest.raises(ValueError, match="unknown marker shape"):
        marker_path("blob", 1.0, 1.0, MARKER)
