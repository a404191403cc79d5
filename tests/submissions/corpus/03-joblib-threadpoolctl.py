"""Module 03's part of the submission corpus (see tests/submissions/corpus.py for the format): the
notebook tier's wrong-answer samples (partially correct, slow but correct), and the cheats."""

WITH_SAMPLES = True

CASES = {
    "memoised": {
        "why": "parallel_map remembers its answers: the grader's fresh items give it nothing to reuse, "
               "and it is still a correct parallel map (full marks)",
        "edits": {
            "parallel-map": '''_known = {}


def parallel_map(fn, items, n_jobs=WORKERS):
    items = list(items)
    key = (fn, n_jobs, repr(items))
    if key not in _known:
        _known[key] = Parallel(n_jobs=n_jobs, backend="loky")(delayed(fn)(x) for x in items)
    return _known[key]''',
        },
    },
    "hard-coded": {
        "why": "products_limited returns the records of the visible test's seeds, worked out once, "
               "whatever seeds it gets",
        "edits": {
            "products-limited": '''with parallel_config(backend="loky", inner_max_num_threads=max(1, CORES // WORKERS)):
    _records = Parallel(n_jobs=WORKERS)(delayed(workloads_03.matrix_products)(seed) for seed in SEEDS)


def products_limited(seeds):
    return _records''',
        },
        "scores": {"products-limited-tests": 0},
    },
}
