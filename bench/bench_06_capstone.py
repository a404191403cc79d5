"""Module 06 (capstone): the whole pipeline's variants side by side, and its co-occurrence stage.

The stage functions are the solution notebook's (solutions/06-capstone): cluster with TF-IDF and
k-means, search the grid serially or on worker processes, count co-occurrences with Python loops,
a sparse product or a Numba loop. Each variant's result is checked against the simple pipeline's.
"""

import time

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, silhouette_score
from threadpoolctl import threadpool_limits

from bench_01_vectorization import cooccurrence_plain, cooccurrence_sparse  # module 01's variants, one copy
from scalinglab import capstone_06, laws, machine, timing

N_DOCS, VOCAB = 120, 2_000
VOCABULARY = [f"w{rank}" for rank in range(VOCAB)]
GRID = [(n_clusters, min_df) for n_clusters in (3, 4, 5) for min_df in (1, 2)]


def cluster(documents, setting):
    n_clusters, min_df = setting
    X = TfidfVectorizer(token_pattern=r"\S+", min_df=min_df, sublinear_tf=True).fit_transform(documents)
    labels = KMeans(n_clusters=n_clusters, n_init=3, random_state=0).fit_predict(X)
    return labels, float(silhouette_score(X, labels, metric="cosine"))


def score_setting(documents, setting):
    with threadpool_limits(limits=1):
        return cluster(documents, setting)[1]


def search_serial(score, documents, grid, n_jobs=1):
    return [score(documents, setting) for setting in grid]


def search_parallel(score, documents, grid, n_jobs):
    return Parallel(n_jobs=n_jobs)(delayed(score)(documents, setting) for setting in grid)


def run_pipeline(documents, search, cooccurrence, n_jobs=1, timings=None):
    started = time.perf_counter()
    scores = search(score_setting, documents, GRID, n_jobs)
    best = GRID[int(np.argmax(scores))]
    searched = time.perf_counter()
    with threadpool_limits(limits=1):
        labels, _ = cluster(documents, best)
    clustered = time.perf_counter()
    counts = cooccurrence(documents, VOCABULARY)
    if timings is not None:
        timings.update(search=searched - started, cluster=clustered - searched,
                       cooccurrence=time.perf_counter() - clustered)
    return best, labels, counts


def same_result(a, b):
    (best_a, labels_a, counts_a), (best_b, labels_b, counts_b) = a, b
    return (tuple(best_a) == tuple(best_b) and adjusted_rand_score(labels_a, labels_b) == 1.0
            and (sparse.csr_matrix(counts_a) != counts_b).nnz == 0)


def run(table):
    documents = capstone_06.topic_corpus(N_DOCS, vocab_size=VOCAB, seed=0)
    workers = min(machine.describe().effective_cores, 4)

    workload = f"co-occurrence, {N_DOCS} docs x {VOCAB:,} words"
    compiled = capstone_06.measure(capstone_06.cooccurrence_numba, documents[:2], VOCABULARY)  # import + compile
    stage = {name: timing.time_call(fn, documents, VOCABULARY, repeats=3).best
             for name, fn in [("Python loops", cooccurrence_plain), ("sparse X.T @ X", cooccurrence_sparse),
                              ("Numba loop, dense counts", capstone_06.cooccurrence_numba)]}
    for name, seconds in stage.items():
        table.add(workload, name, seconds, baseline=None if name == "Python loops" else stage["Python loops"],
                  limit="after its first call" if name.startswith("Numba") else "")
    table.note(workload, "Numba's first call (import, compile)", f"{compiled.seconds:.2f} s")

    variants = {
        "simple (serial search, loops)": (search_serial, cooccurrence_plain),
        "parallel search": (search_parallel, cooccurrence_plain),
        "sparse co-occurrence": (search_serial, cooccurrence_sparse),
        "both": (search_parallel, cooccurrence_sparse),
        "both, Numba co-occurrence": (search_parallel, capstone_06.cooccurrence_numba),
    }
    started = capstone_06.measure(search_parallel, score_setting, documents, GRID, workers)
    reference = run_pipeline(documents, search_serial, cooccurrence_plain)
    best = {name: None for name in variants}
    for _ in range(3):                                                   # interleaved rounds, best of each
        for name, (search, cooccurrence) in variants.items():
            stages = {}
            measured = capstone_06.measure(run_pipeline, documents, search, cooccurrence, n_jobs=workers,
                                           timings=stages)
            assert same_result(measured.result, reference), f"variant {name!r} changed the pipeline's result"
            if best[name] is None or measured.seconds < best[name][0].seconds:
                best[name] = (measured, stages)
    capstone_06.close_workers()

    one_worker, stages = best["sparse co-occurrence"]
    serial = (stages["cluster"] + stages["cooccurrence"]) / sum(stages.values())
    baseline = best["simple (serial search, loops)"][0].seconds
    workload = f"capstone pipeline, {N_DOCS} docs, {len(GRID)} settings, {workers} worker(s)"
    for name, (measured, _) in best.items():
        limit = f"peak {measured.peak_mb:.0f} MB"
        if name == "both" and workers > 1:                # against the same pipeline on one worker
            speedup = one_worker.seconds / measured.seconds
            limit += (f"; {speedup:.2f}x over 1 worker, Amdahl bound {laws.amdahl_speedup(1 - serial, workers):.2f}x "
                      f"(serial share {serial:.0%}), efficiency {speedup / workers:.0%}")
        table.add(workload, name, measured.seconds,
                  baseline=None if name.startswith("simple") else baseline, limit=limit)
    table.note(workload, "starting the worker processes (once)", f"{started.seconds:.2f} s",
               limit=f"{workers} worker(s), peak {started.peak_mb:.0f} MB")
