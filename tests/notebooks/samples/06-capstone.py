"""Wrong answers to module 06 and the points each must lose (unnamed cells keep full marks).

Each sample re-runs the whole capstone notebook, so there are only three: a stage that is right
on the notebook's own data but wrong on fresh data, a "parallel" search that runs sequentially,
and a speedup typed in instead of measured.
"""

NOTEBOOK = "06-capstone.ipynb"

SAMPLES = {
    "vocabulary-order-assumed": {
        "why": "the co-occurrence count takes word 'wN' to be row N: right for the notebook's vocabulary "
               "w0, w1, ... (so the final pipeline still agrees), wrong for a vocabulary in another order",
        "notebook": NOTEBOOK,
        "edits": {"cooccurrence-solution": '''def cooccurrence_fast(documents, vocabulary):
    rows, columns = [], []
    for d, document in enumerate(documents):
        for word in set(document.split()):
            rows.append(d)
            columns.append(int(word[1:]))
    X = sparse.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, columns)),
                          shape=(len(documents), len(vocabulary)))
    return (X.T @ X).tocsr()'''},
        "scores": {"cooccurrence-tests": 0},
    },
    "sequential-in-disguise": {
        "why": "search_parallel sets up joblib but still loops in the calling thread: right results, "
               "no parallelism (also in the final pipeline, which uses it)",
        "notebook": NOTEBOOK,
        "edits": {"search-solution": '''def search_parallel(score, documents, grid, n_jobs):
    from joblib import parallel_config
    with parallel_config(n_jobs=n_jobs):
        return [score(documents, setting) for setting in grid]'''},
        "scores": {"search-parallel": 0, "pipeline-speed": 0},
    },
    "typed-in-speedup": {
        "why": "the reported speedup is typed in instead of taken from the table",
        "notebook": NOTEBOOK,
        "edits": {"final-choice": '''FINAL_SEARCH = search_parallel
FINAL_COOCCURRENCE = cooccurrence_fast
reported_speedup = 40.0'''},
        "scores": {"reported-speedup": 0},
    },
}
