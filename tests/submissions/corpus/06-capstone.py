"""Module 06's part of the submission corpus (see tests/submissions/corpus.py for the format): the
notebook tier's wrong-answer samples (partially correct, slow but correct, a typed-in speedup),
and a memoised one."""

WITH_SAMPLES = True

CASES = {
    "memoised": {
        "why": "the final pipeline is timed a second time on the same documents through a cache, and "
               "that lookup's speedup is reported (the pipeline itself is right and fast)",
        "edits": {
            "final-choice": '''import time

FINAL_SEARCH = search_parallel
FINAL_COOCCURRENCE = cooccurrence_fast
_known = {}


def remembered_pipeline(documents):
    key = tuple(documents)
    if key not in _known:
        _known[key] = run_pipeline(documents, FINAL_SEARCH, FINAL_COOCCURRENCE, n_jobs=WORKERS)
    return _known[key]


remembered_pipeline(documents)
started = time.perf_counter()
remembered_pipeline(documents)
reported_speedup = float(table.loc["simple", "seconds"] / (time.perf_counter() - started))''',
        },
        "scores": {"reported-speedup": 0},
    },
}
