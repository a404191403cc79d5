"""What the hidden tests call: correctness on fresh inputs, and speed measured by the grader.

Speed is never measured in the student's kernel, where a patched clock or a memoised
function can fake it. `measure_speedup` starts a clean child process, binds the clock
there before any student code is unpickled, and times the student's function against a
baseline on fresh inputs every repeat, alternating which runs first, checking every result.
The parent also times the child: reported times that add up to more than the child's
own run time mean its clock was tampered with.

Hidden tests run this file from disk (runpy.run_path), not from sys.modules, and it
imports nothing from the rest of the package, so replacing `scalinglab` in the kernel
does not replace the grader.
"""

import os
import pickle
import secrets
import signal
import subprocess
import sys
import tempfile
import time

import cloudpickle
import numpy as np

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_speed_child.py")


class SpeedReport:
    """What the grader measured: best times of each function and their ratio."""

    def __init__(self, candidate_times, baseline_times, seed, wall):
        self.candidate_times = candidate_times
        self.baseline_times = baseline_times
        self.seed = seed
        self.wall = wall

    @property
    def candidate_best(self):
        return min(self.candidate_times)

    @property
    def baseline_best(self):
        return min(self.baseline_times)

    @property
    def speedup(self):
        return self.baseline_best / max(self.candidate_best, 1e-9)

    def __str__(self):
        return (
            f"your function {_seconds(self.candidate_best)}, baseline {_seconds(self.baseline_best)} "
            f"(best of {len(self.candidate_times)} interleaved runs on fresh inputs, seed {self.seed}): "
            f"speedup {self.speedup:.1f}x"
        )


def _seconds(t):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t * 1e9:.3g} ns"


def _short(value, limit=200):
    if isinstance(value, np.ndarray):
        text = np.array2string(value, threshold=20)
    else:
        text = str(value) if isinstance(value, np.generic) else repr(value)
    return text if len(text) <= limit else text[:limit] + " ..."


def equal(result, expected, rtol=1e-7, atol=1e-9):
    """Default comparison: arrays (dense or scipy.sparse) and numbers approximately, the rest exactly."""
    if hasattr(expected, "toarray"):
        expected = expected.toarray()
    if hasattr(result, "toarray"):
        result = result.toarray()
    if isinstance(expected, (tuple, list)) and isinstance(result, (tuple, list)):
        return len(result) == len(expected) and all(map(equal, result, expected))
    if isinstance(expected, (np.ndarray, float, np.floating)):
        result = np.asarray(result)
        return result.shape == np.shape(expected) and bool(
            np.allclose(result, expected, rtol=rtol, atol=atol, equal_nan=True)
        )
    return bool(result == expected)


def check_outputs(candidate, reference, make_inputs, trials=5, seed=None, check=equal, what="your function"):
    """Compare candidate with reference on `trials` fresh inputs, in this process (no timing).

    make_inputs(rng) returns the argument tuple; each function gets its own fresh copy.
    """
    seed = secrets.randbits(32) if seed is None else seed
    for trial in range(trials):
        got = candidate(*make_inputs(np.random.default_rng([seed, trial])))
        want = reference(*make_inputs(np.random.default_rng([seed, trial])))
        if not check(got, want):
            raise AssertionError(
                f"{what} gave a wrong result on fresh inputs (seed {seed}, trial {trial}).\n"
                f"  got:      {_short(got)}\n  expected: {_short(want)}\n"
                "Try your function on small inputs you can check by hand, including edge cases."
            )


def measure_speedup(candidate, baseline, make_inputs, repeats=5, warmup=1, seed=None,
                    check=equal, timeout=60.0, what="your function"):
    """Time candidate against baseline in a clean child process; return a SpeedReport.

    Raises AssertionError (with what was measured and what to try) when the candidate
    gives a wrong result, raises, exceeds `timeout` seconds, or the clocks disagree.
    """
    seed = secrets.randbits(32) if seed is None else seed
    job = dict(candidate=candidate, baseline=baseline, make_inputs=make_inputs,
               check=check, repeats=repeats, warmup=warmup, seed=seed, what=what)
    with tempfile.TemporaryDirectory(prefix="scalinglab-grade-") as scratch:
        job_path, result_path = os.path.join(scratch, "job"), os.path.join(scratch, "result")
        with open(job_path, "wb") as f:
            cloudpickle.dump(job, f)
        start = time.monotonic()
        # -P: the child's sys.path does not start with this package's folder. Its own
        # session, so that on a timeout its whole process group (joblib workers too) is killed.
        child = subprocess.Popen([sys.executable, "-P", CHILD, job_path, result_path],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, stderr = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            raise AssertionError(
                f"{what} and the baseline did not finish {warmup + repeats} runs within {timeout:.0f} s "
                f"(seed {seed}). Look for an endless loop, or work that grows faster than the input."
            ) from None
        wall = time.monotonic() - start
        if child.returncode != 0 or not os.path.exists(result_path):
            tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
            raise AssertionError(
                f"the measuring process stopped with exit code {child.returncode} (seed {seed}): "
                + " | ".join(tail) + "\nDoes your function exit, crash or run out of memory?"
            )
        with open(result_path, "rb") as f:
            outcome = pickle.load(f)
    if outcome["error"]:
        raise AssertionError(outcome["error"])
    report = SpeedReport(outcome["candidate"], outcome["baseline"], seed, wall)
    if sum(report.candidate_times) + sum(report.baseline_times) > wall:
        raise AssertionError(
            f"the timings reported ({sum(report.candidate_times) + sum(report.baseline_times):.3f} s) exceed "
            f"the measuring process's own run time ({wall:.3f} s): a clock was tampered with."
        )
    return report


def check_speedup(candidate, baseline, make_inputs, min_speedup, hint="", **kwargs):
    """measure_speedup, then require at least `min_speedup`; returns the SpeedReport."""
    report = measure_speedup(candidate, baseline, make_inputs, **kwargs)
    if report.speedup < min_speedup:
        raise AssertionError(
            f"measured: {report}.\nrequired: a speedup of at least {min_speedup:g}x."
            + (f"\nTry: {hint}" if hint else "")
        )
    return report


def beside_reference(measure, measure_reference, required, share=0.6, rounds=2):
    """Whether a candidate's speedup passes on a machine whose load may come and go.

    measure() and measure_reference() return SpeedReports against the same baseline: the
    candidate's, and a known-good reference's. The candidate passes when its best speedup reaches
    `required`, or, in a round where the reference misses `required` too (other programs are busy
    on the cores), `share` of the reference's. Each missed round measures the reference, then the
    candidate once more, so a correct answer cannot fail by the luck of which measurement the load
    hit. Returns (passed, the candidate's best report, the last reference report or None)."""
    report, reference = measure(), None

    def passes():
        return report.speedup >= required or (
            reference is not None and reference.speedup < required and report.speedup >= share * reference.speedup)

    for _ in range(rounds):
        if passes():
            return True, report, reference
        reference = measure_reference()
        if passes():
            return True, report, reference
        report = max(report, measure(), key=lambda r: r.speedup)
    return passes(), report, reference


def check_reported(reported, measured, factor=3.0, what="speedup"):
    """The learner's own number must agree with the grader's measurement within `factor`."""
    reported = float(reported)
    if not (reported > 0 and measured / factor <= reported <= measured * factor):
        raise AssertionError(
            f"you reported a {what} of {reported:.3g}; the grader measured {measured:.3g} on fresh inputs. "
            f"They must agree within a factor of {factor:g}. Re-run your measurement cell; "
            "time the code itself (warm up, repeat, take the best) and do not type the number in."
        )

