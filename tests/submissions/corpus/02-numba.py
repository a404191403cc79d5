"""Module 02's part of the submission corpus (see tests/submissions/corpus.py for the format): the
notebook tier's wrong-answer samples (partially correct, slow but correct), and the cheats."""

WITH_SAMPLES = True

CASES = {
    "memoised": {
        "why": "assign_numba remembers every answer of the plain Python loop: timed twice on the same "
               "points it looks fast; the grader times it on fresh points (correct, no speed points)",
        "edits": {
            "assign-numba": '''_known = {}


def assign_numba(X, centroids):
    key = (X.shape, X.tobytes(), centroids.shape, centroids.tobytes())
    if key not in _known:
        _known[key] = assign_python(X, centroids)
    return _known[key]''',
        },
        "scores": {"assign-speed": 0, "assign-vs-numpy": 0},
    },
    "hard-coded": {
        "why": "assign_numba returns the visible test's answer, worked out once, whatever points it gets",
        "edits": {
            "assign-numba": '''_answer = assign_python(X, C)   # the points of the test below


def assign_numba(X, centroids):
    return _answer''',
        },
        "scores": {"assign-correct": 0, "assign-speed": 0, "assign-vs-numpy": 0},
    },
}
