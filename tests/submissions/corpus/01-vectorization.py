"""Module 01's part of the submission corpus (see tests/submissions/corpus.py for the format): the
notebook tier's wrong-answer samples (partially correct, slow but correct), and the cheats."""

WITH_SAMPLES = True

CASES = {
    "memoised": {
        "why": "pairwise_distances remembers every answer of a Python loop: timed twice on the same "
               "pixels it looks fast; the grader times it on fresh pixels (correct, no speed point)",
        "edits": {
            "distances-solution": '''_known = {}


def pairwise_distances(X, Y):
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    key = (X.shape, X.tobytes(), Y.shape, Y.tobytes())
    if key not in _known:
        D = np.empty((len(X), len(Y)))
        for i in range(len(X)):
            for j in range(len(Y)):
                D[i, j] = math.sqrt(sum((a - b) ** 2 for a, b in zip(X[i], Y[j])))
        _known[key] = D
    return _known[key]''',
        },
        "scores": {"distances-speed": 0},
    },
    "hard-coded": {
        "why": "the hot spot's and the whole run's speedups typed in (far above what the code does) "
               "instead of measured",
        "edits": {
            "amdahl-measure": '''hot_spot_share = hot_spot_fraction(profile_stats, "cooccurrence_plain")
hot_spot_speedup = 5000.0
predicted_speedup = float(laws.amdahl_speedup(hot_spot_share, hot_spot_speedup))
measured_speedup = 3000.0''',
        },
        "scores": {"amdahl-tests": 0},
    },
}
