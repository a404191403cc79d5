"""The grader: honest measurements in a clean child, and the usual ways to cheat fail."""

import functools
import importlib.machinery
import os
import runpy
import sys
import time

import cloudpickle
import numpy as np
import pytest

from scalinglab import grading

# Functions of this module travel to the child by value, as notebook functions do.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def make_inputs(rng):
    return (rng.random(int(rng.integers(150_000, 200_000))),)


def loop_sum(x):
    total = 0.0
    for value in x:
        total += value
    return total


def numpy_sum(x):
    return float(np.sum(x))


def hard_coded(x):
    return 99_999.5


_memo = {}


def memoised(x):
    if x.tobytes() not in _memo:
        _memo[x.tobytes()] = loop_sum(x)
    return _memo[x.tobytes()]


@functools.lru_cache(maxsize=None)
def lru_cached(x_bytes):
    return loop_sum(np.frombuffer(x_bytes))


def patches_the_clock_then_loops(x):
    time.perf_counter = lambda: 0.0  # in the child: must not change what the grader measures
    return loop_sum(x)


def fails(x):
    return 1 / 0


def never_returns(x):
    while True:
        pass


def exits(x):
    os._exit(3)


def check(candidate, **kwargs):
    return grading.check_speedup(candidate, loop_sum, make_inputs, min_speedup=20, repeats=3, **kwargs)


def test_a_fast_correct_function_passes():
    report = check(numpy_sum)
    assert report.speedup >= 20
    assert len(report.candidate_times) == len(report.baseline_times) == 3
    assert "speedup" in str(report)


@pytest.mark.parametrize("cheat", [loop_sum, memoised, patches_the_clock_then_loops])
def test_slow_memoised_or_clock_patching_functions_fail(cheat):
    with pytest.raises(AssertionError, match=r"required: a speedup of at least 20x"):
        check(cheat, hint="use NumPy")


def test_lru_cache_cannot_travel_and_says_so():
    with pytest.raises(AssertionError, match="remove the decorator"):
        check(lru_cached)


def test_hard_coded_answers_fail_with_the_seed():
    with pytest.raises(AssertionError, match=r"wrong result on fresh inputs \(seed 1234,"):
        check(hard_coded, seed=1234)


def test_a_clock_patched_in_the_kernel_does_not_cost_a_correct_solution(monkeypatch):
    monkeypatch.setattr(time, "perf_counter", lambda: 0.0)
    assert check(numpy_sum).speedup >= 20


def test_errors_exits_and_endless_loops_are_reported():
    with pytest.raises(AssertionError, match="raised ZeroDivisionError"):
        check(fails)
    with pytest.raises(AssertionError, match="exit code 3"):
        check(exits)
    started = time.monotonic()
    with pytest.raises(AssertionError, match="did not finish .* within 3 s"):
        check(never_returns, timeout=3)
    assert time.monotonic() - started < 10


def test_times_beyond_the_childs_run_time_mean_tampering(monkeypatch):
    ticks = iter([0.0, 1e-6])
    monkeypatch.setattr(grading.time, "monotonic", lambda: next(ticks))
    with pytest.raises(AssertionError, match="clock was tampered with"):
        check(numpy_sum)


def test_reported_numbers_must_agree_with_the_measurement():
    grading.check_reported(90, 50, factor=3)
    for wrong in (10, 200, -1, 0):
        with pytest.raises(AssertionError, match="grader measured 50"):
            grading.check_reported(wrong, 50, factor=3)


def test_check_outputs_names_the_seed_and_the_difference():
    grading.check_outputs(numpy_sum, loop_sum, make_inputs, trials=2)
    with pytest.raises(AssertionError, match=r"(?s)seed 7, trial 0\).*expected") as failure:
        grading.check_outputs(hard_coded, loop_sum, make_inputs, seed=7)
    assert "99999.5" in str(failure.value)


def test_equal_handles_arrays_sparse_and_sequences():
    import scipy.sparse

    dense = np.eye(3)
    assert grading.equal(scipy.sparse.csr_matrix(dense), dense)
    assert grading.equal([1, (2.0, dense)], [1, (2.0 + 1e-12, dense)])
    assert not grading.equal(dense[:2], dense)
    assert not grading.equal([1, 2], [1, 2, 3])
    assert not grading.equal(np.ones(3), np.ones(3) * 1.01)


def test_hidden_tests_load_the_grader_from_its_file(monkeypatch):
    """The idiom of the hidden tests ignores a replaced module in sys.modules."""
    monkeypatch.setitem(sys.modules, "scalinglab.grading", type(sys)("fake"))
    folder = importlib.machinery.PathFinder.find_spec("scalinglab").submodule_search_locations[0]
    fresh = runpy.run_path(folder + "/grading.py")
    assert fresh["check_speedup"].__code__.co_filename.endswith("grading.py")
    fresh["check_reported"](2.0, 2.0)


class Measured:
    """Stands in for a SpeedReport: speedups handed out in order."""

    def __init__(self, *speedups):
        self.speedups, self.calls = list(speedups), 0

    def __call__(self):
        self.calls += 1
        return type("Report", (), {"speedup": self.speedups.pop(0)})()


@pytest.mark.parametrize("candidate, reference, passed, reference_calls", [
    ((1.5,), (), True, 0),                       # fast enough at once: no reference needed
    ((0.9,), (1.0,), True, 1),                   # busy machine: 60% of the reference's 1.0x
    ((0.8, 0.8), (1.95, 1.0), True, 2),          # load came and went: a lucky reference, then a busy one
    ((0.8, 1.3), (1.9,), True, 1),               # the second measurement reaches 1.25x
    ((0.5, 0.5, 0.5), (1.9, 1.9), False, 2),     # too slow while the machine could do it
    ((0.3, 0.3, 0.3), (1.0, 1.0), False, 2),     # too slow even beside a busy reference
])
def test_a_speedup_is_judged_beside_the_reference_while_the_load_changes(candidate, reference, passed,
                                                                       reference_calls):
    measure, measure_reference = Measured(*candidate), Measured(*reference)
    ok, report, _ = grading.beside_reference(measure, measure_reference, required=1.25)
    assert ok is passed and measure_reference.calls == reference_calls
    assert report.speedup == max(candidate[:measure.calls])
