#!/usr/bin/env python3
"""Draws the scaling benchmarks as SVG line charts, one chart per dimension.

    python3 bench/plot.py [--out DIR] RESULTS.json [MORE.json ...]

Reads Google Benchmark reports (--benchmark_format=json or --benchmark_out=FILE)
and plots every benchmark named scale_<dimension>/<n>: n on the x axis, the
time of one operation on the y axis. Thread counts written as threads:N count as
n too (scale_threads/real_time/threads:4). With repetitions, the _median
aggregate is used when the report has one, else the median of the repetitions.
Benchmarks with more than one argument (scale_x/<n>/<m>) get one line per
value of the other arguments. An axis turns logarithmic when its values span
two decades or more.

Writes DIR/scale_<dimension>.svg (DIR defaults to docs/plots) and prints the
paths. Python 3 standard library only; the SVG is written by hand.
"""

import argparse
import json
import math
import re
import statistics
import sys
from pathlib import Path
from xml.sax.saxutils import escape

TIME_UNITS_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

WIDTH, HEIGHT = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 78, 24, 48, 58
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]

SCALE_NAME = re.compile(r"^scale_(?P<dimension>[A-Za-z0-9_]+)/(?P<rest>.+)$")


class PlotError(Exception):
    """A report that cannot be read or holds nothing to plot."""


def parse_name(run_name):
    """'scale_sellers/1000' -> ('sellers', 1000, ''); None for other benchmarks.

    The first integer argument (or threads:N) is n; any other integer
    arguments name the line; options such as real_time or min_time:2 are
    ignored.
    """
    match = SCALE_NAME.match(run_name)
    if not match:
        return None
    n = None
    others = []
    for part in match.group("rest").split("/"):
        value = part.split(":", 1)[1] if part.startswith("threads:") else part
        if re.fullmatch(r"-?\d+", value):
            if n is None:
                n = int(value)
            else:
                others.append(part)
    if n is None:
        return None
    return match.group("dimension"), n, "/".join(others)


def load_points(paths):
    """{dimension: {series: {n: ns}}} from every report."""
    medians = {}   # (dimension, series, n) -> ns from a _median aggregate
    samples = {}   # (dimension, series, n) -> [ns, ...] from plain runs
    for path in paths:
        try:
            with open(path, encoding="utf-8") as file:
                report = json.load(file)
        except (OSError, json.JSONDecodeError) as error:
            raise PlotError(f"{path}: {error}") from error
        if not isinstance(report, dict) or not isinstance(report.get("benchmarks"), list):
            raise PlotError(f"{path}: not a Google Benchmark JSON report (no 'benchmarks' list)")
        for run in report["benchmarks"]:
            if not isinstance(run, dict) or run.get("error_occurred"):
                continue
            parsed = parse_name(run.get("run_name") or run.get("name", ""))
            if parsed is None:
                continue
            try:
                ns = float(run["real_time"]) * TIME_UNITS_NS[run.get("time_unit", "ns")]
            except (KeyError, TypeError, ValueError):
                continue
            if run.get("run_type") == "aggregate":
                if run.get("aggregate_name") == "median":
                    medians[parsed] = ns
            else:
                samples.setdefault(parsed, []).append(ns)

    points = {}
    for key in set(medians) | set(samples):
        ns = medians[key] if key in medians else statistics.median(samples[key])
        dimension, n, series = key
        points.setdefault(dimension, {}).setdefault(series, {})[n] = ns
    return points


def wants_log(values):
    positive = [v for v in values if v > 0]
    return len(positive) == len(values) and max(positive) / min(positive) >= 100


def count_label(value):
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"


def time_label(ns):
    for factor, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if ns >= factor:
            return f"{ns / factor:g} {unit}"
    return f"{ns:g} ns"


def nice_step(span, count):
    """A step of 1, 2 or 5 times a power of ten giving about `count` ticks."""
    raw = span / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * power:
            return multiple * power
    return 10 * power


class Axis:
    """Maps data values to pixels, linearly or by log10, and picks ticks."""

    def __init__(self, values, low_px, high_px, log, from_zero):
        self.log = log
        self.low_px, self.high_px = low_px, high_px
        low, high = min(values), max(values)
        if log:
            self.low = 10 ** math.floor(math.log10(low))
            self.high = 10 ** math.ceil(math.log10(high))
            if self.high == self.low:
                self.high *= 10
            self.ticks = [10 ** k for k in range(round(math.log10(self.low)),
                                                 round(math.log10(self.high)) + 1)]
        else:
            if from_zero:
                low = min(low, 0.0)
            if high == low:
                high = low + (abs(low) or 1.0)
            step = nice_step(high - low, 5)
            self.low = math.floor(low / step) * step
            self.high = math.ceil(high / step) * step
            count = round((self.high - self.low) / step)
            self.ticks = [self.low + i * step for i in range(count + 1)]

    def __call__(self, value):
        if self.log:
            low, high, value = math.log10(self.low), math.log10(self.high), math.log10(value)
        else:
            low, high = self.low, self.high
        return self.low_px + (value - low) / (high - low) * (self.high_px - self.low_px)


def render(dimension, series_points, source_names):
    """One chart as SVG text."""
    all_n = [n for points in series_points.values() for n in points]
    all_ns = [ns for points in series_points.values() for ns in points.values()]
    x_axis = Axis(all_n, LEFT, WIDTH - RIGHT, wants_log(all_n), from_zero=False)
    y_axis = Axis(all_ns, HEIGHT - BOTTOM, TOP, wants_log(all_ns), from_zero=True)
    x_name = "threads" if dimension == "threads" else dimension.replace("_", " ")

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="15" '
        f'font-weight="bold">scale_{escape(dimension)}: time per operation by {escape(x_name)}'
        "</text>",
        f'<text x="{WIDTH / 2}" y="36" text-anchor="middle" fill="#555">'
        f"{escape(', '.join(source_names))} (Google Benchmark real_time"
        f"{', log x' if x_axis.log else ''}{', log y' if y_axis.log else ''})</text>",
    ]

    # Grid and tick labels.
    for tick in y_axis.ticks:
        y = y_axis(tick)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                   'stroke="#e4e4e4"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f"{escape(time_label(tick))}</text>")
    for tick in x_axis.ticks:
        x = x_axis(tick)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" '
                   'stroke="#e4e4e4"/>')
        out.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                   f"{escape(count_label(tick))}</text>")
    out.append(f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
               f'y2="{HEIGHT - BOTTOM}" stroke="black"/>')
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" '
               'stroke="black"/>')
    out.append(f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 14}" '
               f'text-anchor="middle">{escape(x_name)} (n)</text>')
    out.append(f'<text x="16" y="{(TOP + HEIGHT - BOTTOM) / 2}" text-anchor="middle" '
               f'transform="rotate(-90 16 {(TOP + HEIGHT - BOTTOM) / 2})">'
               "time per operation</text>")

    # One line per series, with a marker and a title on every point.
    for index, (series, points) in enumerate(sorted(series_points.items())):
        colour = COLOURS[index % len(COLOURS)]
        coordinates = [(x_axis(n), y_axis(ns), n, ns) for n, ns in sorted(points.items())]
        label = f"scale_{dimension}" + (f" {series}" if series else "")
        out.append(f'<polyline data-series="{escape(label)}" fill="none" stroke="{colour}" '
                   'stroke-width="2" points="' +
                   " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in coordinates) + '"/>')
        for x, y, n, ns in coordinates:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                       f"<title>n = {n}: {ns:.1f} ns</title></circle>")
        if len(series_points) > 1:
            out.append(f'<text x="{LEFT + 8}" y="{TOP + 14 + 14 * index}" fill="{colour}">'
                       f"{escape(label)}</text>")

    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    parser = argparse.ArgumentParser(
        description="Draw scale_<dimension>/<n> Google Benchmark results as SVG charts.")
    parser.add_argument("reports", nargs="+", help="Google Benchmark JSON reports")
    parser.add_argument("--out", default="docs/plots",
                        help="directory for the SVG files (default docs/plots)")
    options = parser.parse_args(argv)

    try:
        points = load_points(options.reports)
    except PlotError as error:
        print(f"plot: {error}", file=sys.stderr)
        return 2
    if not points:
        print("plot: no scale_<dimension>/<n> benchmarks in " + ", ".join(options.reports),
              file=sys.stderr)
        return 1

    out_dir = Path(options.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = [Path(path).name for path in options.reports]
    for dimension in sorted(points):
        path = out_dir / f"scale_{dimension}.svg"
        path.write_text(render(dimension, points[dimension], sources), encoding="utf-8")
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
