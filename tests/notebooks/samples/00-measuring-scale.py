"""Wrong answers to module 00 and the points each must keep (unnamed cells keep full marks)."""

NOTEBOOK = "00-measuring-scale.ipynb"

SAMPLES = {
    "median-not-best": {
        "why": "returns the median of the timed calls instead of the best",
        "notebook": NOTEBOOK,
        "edits": {"measure-solution": '''def measure(fn, *args, repeats=5, warmup=1):
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return float(np.median(times))'''},
        "scores": {"measure-tests": 0},
    },
    "times-the-warm-up": {
        "why": "off by one: the warm-up call is timed too",
        "notebook": NOTEBOOK,
        "edits": {"measure-solution": '''def measure(fn, *args, repeats=5, warmup=1):
    best = float("inf")
    for _ in range(warmup + repeats):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best'''},
        "scores": {"measure-tests": 0},
    },
    "typed-in-speedup": {
        "why": "a speedup typed in instead of measured",
        "notebook": NOTEBOOK,
        "edits": {"reported-speedup": "reported_speedup = 1000.0"},
        "scores": {"reported-speedup-tests": 0},
    },
    "first-row-baseline": {
        "why": "takes the first row of the table as the baseline, wherever the 1-worker time is",
        "notebook": NOTEBOOK,
        "edits": {"speedup-efficiency": '''def speedup_and_efficiency(workers, seconds):
    workers = np.asarray(workers, dtype=float)
    seconds = np.asarray(seconds, dtype=float)
    speedup = seconds[0] / seconds
    return speedup, speedup / workers'''},
        "scores": {"speedup-efficiency-tests": 0},
    },
    "unclipped-fit": {
        "why": "a fit not clipped to [0, 1], and a limit that divides by zero",
        "notebook": NOTEBOOK,
        "edits": {"fit-serial": '''def fit_serial_fraction(workers, speedups):
    n = np.asarray(workers, dtype=float)
    x, y = 1 - 1 / n, 1 / np.asarray(speedups) - 1 / n
    return np.dot(x, y) / np.dot(x, x)


def predicted_limit(serial_fraction):
    return 1 / serial_fraction'''},
        "scores": {"fit-serial-tests": 0},
    },
}
