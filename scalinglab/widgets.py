"""The Amdahl/Gustafson explorer: both laws, their efficiency, and your own measurements.

Every course module ends with it. You pass in the speedups you measured. It fits the parallel
fraction p to them, and two sliders let you ask "what if p or n were different?".
Everything it draws is also available as plain numbers (`Explorer.state()`), so it can be
tested without a browser.
"""

import base64
import html
import io
import math
import numbers

import ipywidgets as widgets
import numpy as np
from IPython.display import display
from matplotlib.figure import Figure

from .laws import (
    amdahl_limit,
    amdahl_speedup,
    efficiency,
    fit_gustafson_fraction,
    fit_parallel_fraction,
    gustafson_speedup,
)

AMDAHL_COLOR, GUSTAFSON_COLOR, IDEAL_COLOR = "C0", "C1", "grey"


def _points(points, what):
    """Check measured (workers, speedup) pairs and return them as two arrays sorted by workers.

    Accepts None, a dict {workers: speedup} or a sequence of pairs. Bad numbers would bend
    the fit without any visible error, so they are refused here with a clear message.
    """
    try:
        pairs = list(() if points is None else points.items() if isinstance(points, dict) else points)
    except TypeError:
        raise ValueError(f"{what} points must be (workers, speedup) pairs or a dict, "
                         f"got {points!r}") from None
    checked = []
    for pair in pairs:
        try:
            raw_n, raw_s = pair
            n, s = float(raw_n), float(raw_s)
        except (TypeError, ValueError):
            raise ValueError(f"each {what} point must be a (workers, speedup) pair of "
                             f"numbers, got {pair!r}") from None
        if not (n >= 1 and n.is_integer()):
            raise ValueError(f"{what} points: workers must be whole numbers >= 1, got {raw_n!r}")
        if not (s > 0 and math.isfinite(s)):
            raise ValueError(f"{what} points: speedups must be finite and > 0, "
                             f"got {raw_s!r} at {int(n)} workers")
        checked.append((int(n), s))
    checked.sort()
    return (np.array([n for n, _ in checked], dtype=int),
            np.array([s for _, s in checked], dtype=float))


def _fit(fit, workers, speedups):
    """Fit p, or None when no point has more than one worker (1 worker says nothing about p)."""
    return fit(workers, speedups) if np.any(workers > 1) else None


def _describe_fit(law, fitted, workers, speedups):
    """One readout line: the fitted p and the measured points it came from."""
    if fitted is None:
        return f"{law}: no measured points with more than 1 worker to fit."
    shown = ", ".join(f"{n} → {s:.2f}×" for n, s in zip(workers, speedups))
    return f"{law}: fitted p = <b>{fitted:.3f}</b> from your points (n → S) {shown}."


class Explorer:
    """Sliders for the parallel fraction p and workers n, both laws side by side, the
    efficiency they imply, and the learner's measured points with the curve fitted to them."""

    def __init__(self, strong=None, weak=None, title="", max_workers=32, x_label="workers n"):
        # x_label: Amdahl's law also describes one part of a program made n times faster
        # (module 01's profile), where n is that part's speedup rather than a worker count.
        self._x_label = x_label
        if not isinstance(max_workers, numbers.Integral) or max_workers < 1:
            raise ValueError(f"max_workers must be a whole number >= 1, got {max_workers!r}")
        self._strong = _points(strong, "strong-scaling")
        self._weak = _points(weak, "weak-scaling")
        self.fitted_amdahl = _fit(fit_parallel_fraction, *self._strong)
        self.fitted_gustafson = _fit(fit_gustafson_fraction, *self._weak)
        fits = [p for p in (self.fitted_amdahl, self.fitted_gustafson) if p is not None]
        # Start where the learner's own measurements put p, so the first picture is theirs.
        start = fits[0] if fits else 0.9

        # A picture takes a few tenths of a second to render, so redraw when the slider is
        # released rather than queueing a frame for every pixel of a drag.
        wide = {"style": {"description_width": "initial"}, "layout": {"width": "420px"},
                "continuous_update": False}
        self.fraction = widgets.FloatSlider(value=start, min=0.0, max=1.0, step=0.005,
                                            readout_format=".3f",
                                            description="parallel fraction p", **wide)
        self.workers = widgets.IntSlider(value=min(16, int(max_workers)), min=1,
                                         max=int(max_workers), description="workers n", **wide)
        self.readout = widgets.HTML()
        self.output = widgets.Output()
        heading = widgets.HTML(f"<h3>{html.escape(title or 'Amdahl and Gustafson explorer')}</h3>")
        self.widget = widgets.VBox([heading, self.fraction, self.workers, self.readout, self.output])

        self.figure = self._build_figure()
        for slider in (self.fraction, self.workers):
            slider.observe(self._redraw, names="value")
        self._redraw()

    def state(self):
        """Everything the picture and the readout show, as numbers (efficiencies in %)."""
        p, workers = float(self.fraction.value), int(self.workers.value)
        n = np.arange(1, workers + 1)
        amdahl, gustafson = amdahl_speedup(p, n), gustafson_speedup(p, n)
        return {
            "fraction": p,
            "workers": workers,
            "n": n,
            "amdahl": amdahl,
            "gustafson": gustafson,
            "amdahl_efficiency": 100 * efficiency(amdahl, n),
            "gustafson_efficiency": 100 * efficiency(gustafson, n),
            "amdahl_at_workers": float(amdahl[-1]),
            "gustafson_at_workers": float(gustafson[-1]),
            "amdahl_limit": amdahl_limit(p),
            "fitted_amdahl": self.fitted_amdahl,
            "fitted_gustafson": self.fitted_gustafson,
            "strong_points": [(int(n), float(s)) for n, s in zip(*self._strong)],
            "weak_points": [(int(n), float(s)) for n, s in zip(*self._weak)],
        }

    def _build_figure(self):
        """Draw the three panels once; slider moves then only change the line data."""
        figure = Figure(figsize=(11, 3.6), layout="constrained")
        strong_ax, weak_ax, efficiency_ax = figure.subplots(1, 3)
        # The view is fixed, so moving a slider moves the curves, not the axes.
        right = max([self.workers.max, *self._strong[0], *self._weak[0]])
        top = 1.05 * max([right, *self._strong[1], *self._weak[1]])
        every_n = np.arange(1, right + 1)
        left_right = (0, 1.03 * right)
        self._lines = {}

        panels = [(strong_ax, "amdahl", "Amdahl: fixed problem size", "speedup (×)",
                   amdahl_speedup, self._strong, self.fitted_amdahl, AMDAHL_COLOR, "o"),
                  (weak_ax, "gustafson", "Gustafson: problem grows with n", "scaled speedup (×)",
                   gustafson_speedup, self._weak, self.fitted_gustafson, GUSTAFSON_COLOR, "s")]
        for ax, key, title, ylabel, law, (n, s), fitted, color, marker in panels:
            ax.plot(every_n, every_n, ":", color=IDEAL_COLOR, label="ideal (S = n)")
            (self._lines[key],) = ax.plot([], [], "-", color=color, label="model at slider p")
            if fitted is not None:
                ax.plot(every_n, law(fitted, every_n), "--", color=color, alpha=0.6,
                        label=f"fit, p = {fitted:.3f}")
            if len(n):
                ax.plot(n, s, marker, color="black", label="measured")
            ax.set(title=title, xlabel=self._x_label, ylabel=ylabel, xlim=left_right, ylim=(0, top))
        self._limit = strong_ax.axhline(0, color=AMDAHL_COLOR, linewidth=0.8, alpha=0.6,
                                        label="limit 1/(1 − p)")

        measured = [100 * efficiency(s, n) for n, s in (self._strong, self._weak)]
        efficiency_ax.axhline(100, linestyle=":", color=IDEAL_COLOR, label="ideal (100%)")
        (self._lines["amdahl_efficiency"],) = efficiency_ax.plot(
            [], [], "-", color=AMDAHL_COLOR, label="Amdahl (strong)")
        (self._lines["gustafson_efficiency"],) = efficiency_ax.plot(
            [], [], "-", color=GUSTAFSON_COLOR, label="Gustafson (weak)")
        for (n, _), eff, color, marker, label in [
                (self._strong, measured[0], AMDAHL_COLOR, "o", "measured strong"),
                (self._weak, measured[1], GUSTAFSON_COLOR, "s", "measured weak")]:
            if len(n):
                efficiency_ax.plot(n, eff, marker, color=color, markeredgecolor="black",
                                   label=label)
        efficiency_top = 1.05 * max([100.0, *measured[0], *measured[1]])
        efficiency_ax.set(title="Efficiency", xlabel=self._x_label, ylabel="efficiency (%)",
                          xlim=left_right, ylim=(0, efficiency_top))

        self._markers = [ax.axvline(1, color="black", linewidth=0.8, alpha=0.4)
                         for ax in (strong_ax, weak_ax, efficiency_ax)]
        # Speedups stay below the ideal diagonal, leaving the upper left free; efficiencies
        # start there, so that legend goes wherever it hides the least.
        strong_ax.legend(loc="upper left", fontsize="small")
        weak_ax.legend(loc="upper left", fontsize="small")
        efficiency_ax.legend(loc="best", fontsize="small")
        return figure

    def _redraw(self, change=None):
        """Bring lines, markers, readout and picture in line with the sliders."""
        s = self.state()
        for key, line in self._lines.items():
            line.set_data(s["n"], s[key])
        limit = s["amdahl_limit"]
        within_view = math.isfinite(limit) and limit <= self._limit.axes.get_ylim()[1]
        self._limit.set_visible(within_view)
        if within_view:
            self._limit.set_ydata([limit, limit])
        for marker in self._markers:
            marker.set_xdata([s["workers"]] * 2)
        self.readout.value = self._readout_html(s)
        self._show()

    def _readout_html(self, s):
        limit = "∞" if math.isinf(s["amdahl_limit"]) else f"{s['amdahl_limit']:.2f}×"
        return "<br>".join([
            f"At p = {s['fraction']:.3f} and n = {s['workers']}:",
            f"Amdahl speedup <b>{s['amdahl_at_workers']:.2f}×</b> "
            f"(limit 1/(1 − p) = {limit}), efficiency {s['amdahl_efficiency'][-1]:.1f}%.",
            f"Gustafson scaled speedup <b>{s['gustafson_at_workers']:.2f}×</b>, "
            f"efficiency {s['gustafson_efficiency'][-1]:.1f}%.",
            _describe_fit("Strong scaling (Amdahl)", self.fitted_amdahl, *self._strong),
            _describe_fit("Weak scaling (Gustafson)", self.fitted_gustafson, *self._weak),
        ])

    def _show(self):
        """Put the figure into `output` as a PNG.

        Rendered here rather than with `with output: display(figure)`: that capture only works
        inside a running kernel, and a bare Figure gets a PNG only where IPython's inline
        backend registered one. Setting `outputs` works everywhere and replaces in one step.
        """
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png")
        png = base64.b64encode(buffer.getvalue()).decode("ascii")
        self.output.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"image/png": png, "text/plain": "<scaling explorer figure>"}},)

    def _ipython_display_(self):
        display(self.widget)


def explore(strong=None, weak=None, title="", max_workers=32, x_label="workers n"):
    """Build an Explorer; end a notebook cell with it to show it."""
    return Explorer(strong=strong, weak=weak, title=title, max_workers=max_workers, x_label=x_label)
