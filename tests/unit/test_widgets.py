"""The explorer's state, readout and picture follow its sliders, without a browser."""

import base64
import math

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def agg_backend(monkeypatch):
    """No display in tests: matplotlib must never try to open a window."""
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.fixture
def widgets_module():
    from scalinglab import widgets

    return widgets


def amdahl_points(p, workers=(1, 2, 4, 8, 16)):
    return {n: 1.0 / ((1.0 - p) + p / n) for n in workers}


def gustafson_points(p, workers=(1, 2, 4, 8, 16)):
    return [(n, (1.0 - p) + p * n) for n in workers]


def line(explorer, panel, label):
    """The line with this legend label in panel 0 (Amdahl), 1 (Gustafson) or 2 (efficiency)."""
    (found,) = [ln for ln in explorer.figure.axes[panel].get_lines() if ln.get_label() == label]
    return found


def png_bytes(explorer):
    (shown,) = explorer.output.outputs
    assert shown["output_type"] == "display_data"
    return base64.b64decode(shown["data"]["image/png"])


def test_sliders_drive_state_with_hand_computed_values(widgets_module):
    ex = widgets_module.Explorer()
    ex.fraction.value = 0.5
    ex.workers.value = 4
    s = ex.state()
    assert s["fraction"] == 0.5 and s["workers"] == 4
    np.testing.assert_array_equal(s["n"], [1, 2, 3, 4])
    # Amdahl 1 / (0.5 + 0.5 / n); Gustafson 0.5 + 0.5 n.
    np.testing.assert_allclose(s["amdahl"], [1.0, 4 / 3, 1.5, 1.6])
    np.testing.assert_allclose(s["gustafson"], [1.0, 1.5, 2.0, 2.5])
    np.testing.assert_allclose(s["amdahl_efficiency"], [100.0, 200 / 3, 50.0, 40.0])
    np.testing.assert_allclose(s["gustafson_efficiency"], [100.0, 75.0, 200 / 3, 62.5])
    assert s["amdahl_at_workers"] == pytest.approx(1.6)
    assert s["gustafson_at_workers"] == pytest.approx(2.5)
    assert s["amdahl_limit"] == pytest.approx(2.0)

    ex.fraction.value = 0.9
    ex.workers.value = 10
    s = ex.state()
    assert len(s["n"]) == 10
    assert s["amdahl_at_workers"] == pytest.approx(1 / (0.1 + 0.09))
    assert s["gustafson_at_workers"] == pytest.approx(9.1)
    assert s["amdahl_limit"] == pytest.approx(10.0)


def test_readout_follows_the_sliders(widgets_module):
    ex = widgets_module.Explorer()
    ex.fraction.value = 0.5
    ex.workers.value = 4
    text = ex.readout.value
    for number in ("1.60×", "2.00×", "2.50×", "40.0%", "62.5%"):
        assert number in text
    ex.fraction.value = 0.75
    assert ex.readout.value != text
    assert "2.29×" in ex.readout.value  # 1 / (0.25 + 0.75 / 4)
    assert "4.00×" in ex.readout.value  # limit 1 / 0.25


def test_figure_lines_follow_the_sliders(widgets_module):
    ex = widgets_module.Explorer()
    ex.fraction.value = 0.5
    ex.workers.value = 4
    amdahl = line(ex, 0, "model at slider p")
    np.testing.assert_allclose(amdahl.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(amdahl.get_ydata(), [1.0, 4 / 3, 1.5, 1.6])
    np.testing.assert_allclose(line(ex, 1, "model at slider p").get_ydata(), [1, 1.5, 2, 2.5])
    np.testing.assert_allclose(line(ex, 2, "Amdahl (strong)").get_ydata()[-1], 40.0)
    np.testing.assert_allclose(line(ex, 2, "Gustafson (weak)").get_ydata()[-1], 62.5)
    limit = line(ex, 0, "limit 1/(1 − p)")
    assert limit.get_visible() and list(limit.get_ydata()) == [2.0, 2.0]

    ex.fraction.value = 0.8
    np.testing.assert_allclose(line(ex, 0, "model at slider p").get_ydata()[-1], 2.5)
    assert list(limit.get_ydata()) == pytest.approx([5.0, 5.0])
    ex.workers.value = 7
    for panel in range(3):
        markers = [ln for ln in ex.figure.axes[panel].get_lines() if list(ln.get_xdata()) == [7, 7]]
        assert markers, f"no vertical marker at n = 7 in panel {panel}"


def test_amdahl_limit_hidden_when_infinite(widgets_module):
    ex = widgets_module.Explorer()
    ex.fraction.value = 1.0
    assert math.isinf(ex.state()["amdahl_limit"])
    assert not line(ex, 0, "limit 1/(1 − p)").get_visible()
    assert "∞" in ex.readout.value


def test_output_holds_a_png_that_changes_with_the_sliders(widgets_module):
    ex = widgets_module.Explorer(strong=amdahl_points(0.8))
    before = png_bytes(ex)
    ex.workers.value = 3
    after = png_bytes(ex)
    assert after.startswith(b"\x89PNG\r\n\x1a\n")
    assert after != before


def test_fit_to_exact_amdahl_points_sets_the_slider(widgets_module):
    ex = widgets_module.Explorer(strong=amdahl_points(0.8), weak=gustafson_points(0.6))
    assert ex.fitted_amdahl == pytest.approx(0.8, abs=1e-12)
    assert ex.fitted_gustafson == pytest.approx(0.6, abs=1e-12)
    assert ex.fraction.value == pytest.approx(0.8, abs=1e-12)  # strong scaling comes first
    s = ex.state()
    assert s["fitted_amdahl"] == pytest.approx(0.8)
    assert s["strong_points"][1] == (2, pytest.approx(1 / 0.6))
    assert "0.800" in ex.readout.value and "0.600" in ex.readout.value
    fitted = line(ex, 0, "fit, p = 0.800")
    assert fitted.get_linestyle() == "--"
    np.testing.assert_allclose(fitted.get_ydata()[[0, 3]], [1.0, 1 / (0.2 + 0.2)])


def test_pairs_and_dicts_are_equivalent(widgets_module):
    points = amdahl_points(0.7, workers=(8, 2, 4))
    as_dict = widgets_module.Explorer(strong=points)
    as_pairs = widgets_module.Explorer(strong=list(points.items()))
    assert as_dict.fitted_amdahl == pytest.approx(as_pairs.fitted_amdahl)
    assert [n for n, _ in as_dict.state()["strong_points"]] == [2, 4, 8]


def test_weak_only_starts_at_the_gustafson_fit(widgets_module):
    ex = widgets_module.Explorer(weak=gustafson_points(0.75))
    assert ex.fitted_amdahl is None
    assert ex.fitted_gustafson == pytest.approx(0.75)
    assert ex.fraction.value == pytest.approx(0.75)


def test_no_points_start_at_default_without_fits(widgets_module):
    for empty in (None, [], {}):
        ex = widgets_module.explore(strong=empty, weak=empty)
        assert isinstance(ex, widgets_module.Explorer)
        assert ex.fraction.value == 0.9
        assert ex.fitted_amdahl is None and ex.fitted_gustafson is None
        assert ex.state()["strong_points"] == [] and ex.state()["weak_points"] == []
    # A single worker says nothing about p.
    assert widgets_module.Explorer(strong={1: 1.0}).fitted_amdahl is None


def test_workers_slider_range(widgets_module):
    assert widgets_module.Explorer().workers.value == 16
    small = widgets_module.Explorer(max_workers=4)
    assert (small.workers.min, small.workers.max, small.workers.value) == (1, 4, 4)
    assert small.state()["amdahl"].shape == (4,)


@pytest.mark.parametrize("kwargs", [
    {"strong": {0: 1.0}},
    {"strong": {2.5: 1.5}},
    {"strong": [(-2, 1.5)]},
    {"strong": {2: 0.0}},
    {"strong": {2: -1.0}},
    {"weak": [(2, float("nan"))]},
    {"weak": [(2, float("inf"))]},
    {"weak": [(2,)]},
    {"weak": [(2, "fast")]},
    {"strong": 3},
    {"max_workers": 0},
    {"max_workers": 8.5},
])
def test_bad_input_raises_value_error(widgets_module, kwargs):
    with pytest.raises(ValueError):
        widgets_module.Explorer(**kwargs)


def test_every_axis_is_labelled(widgets_module):
    ex = widgets_module.Explorer(strong=amdahl_points(0.9), weak=gustafson_points(0.9))
    axes = ex.figure.axes
    assert len(axes) == 3
    for ax in axes:
        assert ax.get_xlabel().strip() and ax.get_ylabel().strip()
        assert ax.get_title() and ax.get_legend() is not None
    assert [ax.get_title() for ax in axes] == [
        "Amdahl: fixed problem size", "Gustafson: problem grows with n", "Efficiency"]


def test_widget_layout_and_display(widgets_module, monkeypatch):
    ex = widgets_module.Explorer(title="Module <1>")
    heading, *rest = ex.widget.children
    assert rest == [ex.fraction, ex.workers, ex.readout, ex.output]
    assert "Module &lt;1&gt;" in heading.value
    shown = []
    monkeypatch.setattr(widgets_module, "display", shown.append)
    ex._ipython_display_()
    assert shown == [ex.widget]


def test_x_label_names_what_n_counts(widgets_module):
    ex = widgets_module.Explorer(strong=[(1, 1.0), (4, 2.0)], x_label="hot-spot speedup s (×)")
    assert all(ax.get_xlabel() == "hot-spot speedup s (×)" for ax in ex.figure.axes)
