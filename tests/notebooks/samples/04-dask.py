"""Wrong answers to module 04 and the points each must keep (unnamed cells keep full marks)."""

NOTEBOOK = "04-dask.ipynb"

SAMPLES = {
    "tiny-chunks": {
        "why": "50 x 50 chunks: thousands of tasks, each far too small for its scheduling cost",
        "notebook": NOTEBOOK,
        "edits": {"choose-chunks": '''def choose_chunks(shape):
    return (50, 50)'''},
        "scores": {"choose-chunks-tests": 0, "choose-chunks-speed-tests": 0},
    },
    "one-chunk-and-every-file": {
        "why": "the whole matrix as one chunk (one core works); a lazy pipeline without filters= "
               "that reads every daily file",
        "notebook": NOTEBOOK,
        "edits": {
            "choose-chunks": '''def choose_chunks(shape):
    return shape''',
            "recent-means": '''def recent_means(path, first_day):
    sales = dd.read_parquet(path)
    sales = sales[(sales.day >= first_day) & (sales.amount > 0)]
    return sales.groupby("store").amount.mean()''',
        },
        "scores": {"choose-chunks-tests": 0, "recent-means-reads-tests": 0},
    },
    "eager-compute-in-the-middle": {
        "why": "a .compute() in the middle of the pipeline, then back to Dask with from_pandas",
        "notebook": NOTEBOOK,
        "edits": {"recent-means": '''def recent_means(path, first_day):
    sales = dd.read_parquet(path, columns=["day", "store", "amount"], filters=[("day", ">=", first_day)])
    sales = sales[sales.day >= first_day].compute()  # eager: runs the graph before the final call
    sales = dd.from_pandas(sales[sales.amount > 0], npartitions=2)
    return sales.groupby("store").amount.mean()'''},
        "scores": {"recent-means-lazy-tests": 0, "recent-means-reads-tests": 0},
    },
    "mean-of-daily-means": {
        "why": "a wrong groupby: the mean of each day's per-store means, not the mean of all rows",
        "notebook": NOTEBOOK,
        "edits": {"recent-means": '''def recent_means(path, first_day):
    sales = dd.read_parquet(path, columns=["day", "store", "amount"], filters=[("day", ">=", first_day)])
    sales = sales[(sales.day >= first_day) & (sales.amount > 0)]
    daily = sales.groupby(["day", "store"]).amount.mean().reset_index()
    return daily.groupby("store").amount.mean()'''},
        "scores": {"recent-means-tests": 0},
    },
    "strong-not-weak": {
        "why": "the weak-scaling problem does not grow with n, and Amdahl's fit is used for Gustafson's law",
        "notebook": NOTEBOOK,
        "edits": {
            "weak-problem": '''def weak_problem(n):
    return da.random.default_rng(n).standard_normal(8 * CHUNK, chunks=CHUNK)''',
            "gustafson-fit": '''def fit_gustafson(workers, scaled_speedups):
    return laws.fit_parallel_fraction(workers, scaled_speedups)''',
        },
        "scores": {"weak-problem-tests": 0, "weak-fit-tests": 0},
    },
}
