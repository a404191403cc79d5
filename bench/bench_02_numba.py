"""Module 02: the co-occurrence matrix in four variants (module 01's corpus), the k-means assignment
step in Python, NumPy, Numba and parallel Numba, and prange efficiency at each thread count.

Targets (issue 4): compiled >= 100x pure Python; prange efficiency >= 80% at 2 threads.
"""

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import njit, prange
from scipy import sparse

from bench_01_vectorization import cooccurrence_plain  # module 01's variants, one copy
from scalinglab import data, kernels_02, machine, timing

N_DOCS, VOCAB, SEED = 500, 5_000, 0          # module 01's corpus (solutions/01-vectorization)
VOCABULARY = [f"w{rank}" for rank in range(VOCAB)]


# --- co-occurrence, variants 1-4 (as in the notebook) -------------------------------------------
def count_pairs_python(doc_ptr, doc_words):
    """Variant 1's pair loop alone, on already tokenized documents."""
    counts = defaultdict(int)
    words = doc_words.tolist()
    for d in range(doc_ptr.size - 1):
        distinct = words[doc_ptr[d]:doc_ptr[d + 1]]
        for a in distinct:
            for b in distinct:
                counts[a, b] += 1
    return counts


def cooccurrence_sparse(documents, vocabulary):
    doc_ptr, doc_words = kernels_02.tokenize(documents, vocabulary)
    X = sparse.csr_matrix((np.ones(doc_words.size, dtype=np.int64), doc_words, doc_ptr),
                          shape=(len(documents), len(vocabulary)))
    return X.T @ X


def prepare(documents, vocabulary, n_blocks=1):
    doc_ptr, doc_words = kernels_02.tokenize(documents, vocabulary)
    word_ptr, word_docs = kernels_02.invert(doc_ptr, doc_words, len(vocabulary))
    work = kernels_02.pairs_per_word(doc_ptr, doc_words, len(vocabulary))
    edges = kernels_02.row_blocks(work, n_blocks)
    starts = np.concatenate(([0], np.cumsum(np.add.reduceat(work, edges[:-1]))))
    outputs = (np.empty(len(vocabulary), dtype=np.int64),
               np.empty(starts[-1], dtype=np.int32), np.empty(starts[-1], dtype=np.int32))
    return (word_ptr, word_docs, doc_ptr, doc_words), edges, starts, outputs


def cooccurrence_compiled(documents, vocabulary):
    index, edges, starts, (row_end, columns, counts) = prepare(documents, vocabulary)
    written = kernels_02.count_rows(0, len(vocabulary), *index, row_end, columns, counts)
    return kernels_02.assemble(edges, starts, [written], row_end, columns, counts)


def cooccurrence_threads(documents, vocabulary, pool, n_blocks):
    index, edges, starts, (row_end, columns, counts) = prepare(documents, vocabulary, n_blocks)

    def block(k):
        lo, hi, first, last = edges[k], edges[k + 1], starts[k], starts[k + 1]
        return kernels_02.count_rows(lo, hi, *index, row_end[lo:hi], columns[first:last], counts[first:last])

    written = list(pool.map(block, range(len(edges) - 1)))
    return kernels_02.assemble(edges, starts, written, row_end, columns, counts)


@njit(parallel=True)
def count_blocks(edges, starts, word_ptr, word_docs, doc_ptr, doc_words, row_end, columns, counts):
    written = np.zeros(edges.size - 1, dtype=np.int64)
    for k in prange(edges.size - 1):
        lo, hi, first, last = edges[k], edges[k + 1], starts[k], starts[k + 1]
        written[k] = kernels_02.count_rows(lo, hi, word_ptr, word_docs, doc_ptr, doc_words,
                                           row_end[lo:hi], columns[first:last], counts[first:last])
    return written


def cooccurrence_prange(documents, vocabulary, n_blocks):
    index, edges, starts, (row_end, columns, counts) = prepare(documents, vocabulary, n_blocks)
    written = count_blocks(edges, starts, *index, row_end, columns, counts)
    return kernels_02.assemble(edges, starts, written, row_end, columns, counts)


# --- the k-means assignment step -----------------------------------------------------------------

def assign_python(X, centroids):
    labels = []
    inertia = 0.0
    for x in X:
        distances = [sum((a - b) ** 2 for a, b in zip(x, c)) for c in centroids]
        best = min(range(len(distances)), key=distances.__getitem__)
        labels.append(best)
        inertia += distances[best]
    return np.array(labels, dtype=np.int64), float(inertia)


def assign_numpy(X, centroids):
    distances = ((X[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=-1)
    labels = distances.argmin(axis=1)
    return labels, float(distances[np.arange(len(X)), labels].sum())


def _assign_loops(X, centroids):
    labels = np.empty(X.shape[0], dtype=np.int64)
    inertia = 0.0
    for i in prange(X.shape[0]):          # prange is range unless compiled with parallel=True
        best, best_j = np.inf, 0
        for j in range(centroids.shape[0]):
            distance = 0.0
            for f in range(X.shape[1]):
                diff = X[i, f] - centroids[j, f]
                distance += diff * diff
            if distance < best:
                best, best_j = distance, j
        labels[i] = best_j
        inertia += best
    return labels, inertia


assign_numba = njit(_assign_loops)
assign_parallel = njit(parallel=True)(_assign_loops)


def run(table):
    cores = machine.describe().effective_cores
    threads = min(cores, numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(threads)

    # Co-occurrence: variants 1-4 in one run, each as a whole (tokenizing included).
    corpus = data.zipf_corpus(N_DOCS, vocab_size=VOCAB, seed=SEED)
    workload = f"co-occurrence, {N_DOCS} docs x {VOCAB:,} words"
    plain = timing.time_call(cooccurrence_plain, corpus, VOCABULARY, repeats=2, warmup=0).best
    reference = cooccurrence_plain(corpus, VOCABULARY)
    table.add(workload, "1 plain Python", plain)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        variants = [("2 sparse X.T @ X", cooccurrence_sparse),
                    ("3 Numba, compiled", cooccurrence_compiled),
                    (f"4a nogil kernel, {threads} threads", lambda d, v: cooccurrence_threads(d, v, pool, 4 * threads)),
                    (f"4b prange, {threads} threads", lambda d, v: cooccurrence_prange(d, v, 4 * threads))]
        for name, fn in variants:
            assert (fn(corpus, VOCABULARY) != reference).nnz == 0, f"{name} disagrees with variant 1"
            seconds = timing.time_call(fn, corpus, VOCABULARY, repeats=9).best
            table.add(workload, name, seconds, baseline=plain)
    tokenize = timing.time_call(kernels_02.tokenize, corpus, VOCABULARY, repeats=9).best
    table.add(workload, "(tokenizing alone, plain Python)", tokenize, baseline=plain,
              limit="serial part of variants 2-4")

    # The counting step alone, on the tokenized corpus: Python's pair loop, SciPy, the Numba kernel.
    index, edges, starts, outputs = prepare(corpus, VOCABULARY)
    doc_ptr, doc_words = index[2], index[3]
    workload = "co-occurrence counting step only"
    python = timing.time_call(count_pairs_python, doc_ptr, doc_words, repeats=2, warmup=0).best
    X = sparse.csr_matrix((np.ones(doc_words.size, dtype=np.int64), doc_words, doc_ptr), shape=(N_DOCS, VOCAB))
    table.add(workload, "Python pair loop (dict)", python)
    table.add(workload, "scipy X.T @ X", timing.time_call(lambda: X.T @ X, repeats=9).best, baseline=python)
    kernel = timing.time_call(kernels_02.count_rows, 0, VOCAB, *index, *outputs, repeats=9).best
    table.add(workload, "count_rows (Numba, 1 thread)", kernel, baseline=python,
              limit=f"target >= 100x: {'met' if python / kernel >= 100 else 'MISSED'}")

    # The k-means assignment step: compiled vs pure Python (target >= 100x) and vs NumPy.
    rng = np.random.default_rng(0)
    X, C = rng.normal(size=(1_000, 8)), rng.normal(size=(8, 8))
    workload = "k-means assignment, 1,000 x 8, k = 8"
    python = timing.time_call(assign_python, X, C, repeats=3, warmup=0).best
    table.add(workload, "pure Python", python)
    table.add(workload, "NumPy broadcasting", timing.time_call(assign_numpy, X, C, repeats=9).best, baseline=python)
    compiled = timing.time_call(assign_numba, X, C, repeats=9).best
    table.add(workload, "@njit", compiled, baseline=python,
              limit=f"target >= 100x: {'met' if python / compiled >= 100 else 'MISSED'}")

    # prange efficiency at each thread count (strong scaling on 400,000 points), each thread count
    # timed interleaved with the serial loop, so that both see the same machine.
    X = rng.normal(size=(400_000, 8))
    workload = "k-means assignment, 400,000 points, prange"
    table.add(workload, "@njit (serial)", timing.time_call(assign_numba, X, C, repeats=7).best)
    for n in machine.worker_counts(threads):
        numba.set_num_threads(n)
        compared = timing.compare(assign_numba, assign_parallel, X, C, repeats=9)
        efficiency = compared.speedup / n
        target = f"; target >= 80%: {'met' if efficiency >= 0.8 else 'MISSED'}" if n == 2 else ""
        table.add(workload, f"prange, {n} thread(s)", compared.candidate.best, baseline=compared.baseline.best,
                  limit=f"efficiency {efficiency:.0%} vs serial timed alongside ({cores} effective cores){target}")
    numba.set_num_threads(threads)
