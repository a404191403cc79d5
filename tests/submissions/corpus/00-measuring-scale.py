"""Module 00's part of the submission corpus (see tests/submissions/corpus.py for the format).

Generic cases break `speedup_and_efficiency` (exercise 3): a kernel that survives costs only
its test; a kernel that dies there also costs exercise 4, and exercises 1 and 2 keep their points.
"""

NOTEBOOK = "00-measuring-scale.ipynb"
TARGET = "speedup-efficiency"
NEEDS_TARGET = ["speedup-efficiency-tests"]

CASES = {
    "partial": {
        "why": "exercises 1 and 2 right; 3 takes the first row as the baseline, 4 forgets to clip",
        "edits": {
            "speedup-efficiency": '''def speedup_and_efficiency(workers, seconds):
    workers = np.asarray(workers, dtype=float)
    seconds = np.asarray(seconds, dtype=float)
    speedup = seconds[0] / seconds
    return speedup, speedup / workers''',
            "fit-serial": '''def fit_serial_fraction(workers, speedups):
    n = np.asarray(workers, dtype=float)
    x, y = 1 - 1 / n, 1 / np.asarray(speedups) - 1 / n
    return float(np.dot(x, y) / np.dot(x, x))


def predicted_limit(serial_fraction):
    return float("inf") if serial_fraction == 0 else 1.0 / serial_fraction''',
        },
        "scores": {"speedup-efficiency-tests": 0, "fit-serial-tests": 0},
    },
    "slow": {
        "why": "correct but slow: pure-Python loops where NumPy would do (speed is not graded here)",
        "edits": {
            "speedup-efficiency": '''def speedup_and_efficiency(workers, seconds):
    if 1 not in list(workers):
        raise ValueError("no one-worker time")
    base = seconds[list(workers).index(1)]
    speedups, efficiencies = [], []
    for n, t in zip(workers, seconds):
        speedups.append(base / t)
        efficiencies.append(base / t / n)
    return np.array(speedups), np.array(efficiencies)''',
            "fit-serial": '''def fit_serial_fraction(workers, speedups):
    sxy = sxx = 0.0
    for n, s in zip(workers, speedups):
        x, y = 1 - 1 / n, 1 / s - 1 / n
        sxy += x * y
        sxx += x * x
    return float(min(1.0, max(0.0, sxy / sxx)))


def predicted_limit(serial_fraction):
    return float("inf") if serial_fraction == 0 else 1.0 / serial_fraction''',
        },
    },
    "memoised": {
        "why": "memoises the NumPy version so that its own timing reports a huge speedup",
        "edits": {
            "reported-speedup": '''import functools
sum_of_squares_numpy = functools.lru_cache(maxsize=None)(sum_of_squares_numpy)
reported_speedup = measure(sum_of_squares_loop, N) / measure(sum_of_squares_numpy, N)''',
        },
        "scores": {"reported-speedup-tests": 0},
    },
    "hard-coded": {
        "why": "types in a speedup and returns the visible test's answers",
        "edits": {
            "reported-speedup": "reported_speedup = 1e6",
            "fit-serial": '''def fit_serial_fraction(workers, speedups):
    return 0.1


def predicted_limit(serial_fraction):
    return 10.0''',
        },
        "scores": {"reported-speedup-tests": 0, "fit-serial-tests": 0},
    },
}

# The longest cell of the solution takes a few seconds: endless loops are stopped after 30.
LIMITS = {"--cell-timeout": 30, "--timeout": 300, "--memory": 2048}
