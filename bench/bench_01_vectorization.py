"""Module 01: loop vs NumPy on pairwise distances; a vectorized kernel's bandwidth against the copy;
plain Python vs scipy.sparse co-occurrence, on the notebook's corpus and on 20,000 documents.

The functions repeat the notebook's (solutions/01-vectorization): the loop students start from, the
solution, and the variants the calibration table (autograder/calibration/01-vectorization.md) covers.
"""

import math
import time
from collections import defaultdict
from itertools import chain

import numpy as np
from scipy import sparse

from scalinglab import data, timing

VOCAB = 5_000
VOCABULARY = [f"w{rank}" for rank in range(VOCAB)]
TARGET = "target >= 100x (issue 3)"


# --- pairwise distances ---------------------------------------------------------------------
def distances_loop(X, Y):
    D = np.zeros((len(X), len(Y)))
    for i in range(len(X)):
        for j in range(len(Y)):
            total = 0.0
            for k in range(X.shape[1]):
                diff = float(X[i, k]) - float(Y[j, k])
                total += diff * diff
            D[i, j] = math.sqrt(total)
    return D


def distances_rows(X, Y):
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    D = np.empty((len(X), len(Y)))
    for i in range(len(X)):
        D[i] = np.sqrt(((X[i] - Y) ** 2).sum(axis=1))
    return D


def distances_broadcast(X, Y):
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    diff = X[:, None, :] - Y[None, :, :]
    return np.sqrt((diff * diff).sum(axis=-1))


def distances_in_place(X, Y):  # the notebook's solution
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    diff = X[:, None, :] - Y[None, :, :]
    np.square(diff, out=diff)
    return np.sqrt(diff.sum(axis=-1))


def distances_blas(X, Y):
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    squared = (X * X).sum(axis=1)[:, None] + (Y * Y).sum(axis=1)[None, :] - 2 * (X @ Y.T)
    return np.sqrt(np.maximum(squared, 0))


# --- co-occurrence -------------------------------------------------------------------------
def pairs_to_matrix(counts, size):
    pairs = np.array(list(counts), dtype=np.int64).reshape(-1, 2)
    values = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    return sparse.csr_matrix((values, (pairs[:, 0], pairs[:, 1])), shape=(size, size))


def cooccurrence_plain(documents, vocabulary):
    index = {word: i for i, word in enumerate(vocabulary)}
    counts = defaultdict(int)
    for document in documents:
        words = {index[word] for word in document.split()}
        for a in words:
            for b in words:
                counts[a, b] += 1
    return pairs_to_matrix(counts, len(vocabulary))


def cooccurrence_sparse(documents, vocabulary):  # the notebook's solution
    index = {word: i for i, word in enumerate(vocabulary)}
    rows, columns = [], []
    for d, document in enumerate(documents):
        for word in set(document.split()):
            rows.append(d)
            columns.append(index[word])
    X = sparse.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, columns)),
                          shape=(len(documents), len(vocabulary)))
    return X.T @ X


def tokenize(documents, vocabulary):
    """Each document's distinct words as column numbers: the Python part every variant shares."""
    index = {word: i for i, word in enumerate(vocabulary)}
    split = list(map(str.split, documents))
    lengths = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
    columns = np.fromiter(map(index.__getitem__, chain.from_iterable(split)), dtype=np.int32,
                          count=int(lengths.sum()))
    rows = np.repeat(np.arange(len(documents), dtype=np.int32), lengths)
    X = sparse.csr_matrix((np.ones(columns.size, dtype=np.int64), (rows, columns)),
                          shape=(len(documents), len(vocabulary)))
    X.sum_duplicates()
    X.data[:] = 1                      # a word repeated in a document still counts once
    return X


def count_pairs_sparse(X):
    return X.T.tocsr() @ X             # CSR @ CSR: SciPy's fastest path for this product


def cooccurrence_sparse_numpy(documents, vocabulary):
    """The same product with X built without a Python loop per word (map and fromiter)."""
    return count_pairs_sparse(tokenize(documents, vocabulary))


def count_pairs_plain(X):
    """The plain version's counting loop alone, on documents already turned into column numbers."""
    counts = defaultdict(int)
    for d in range(X.shape[0]):
        words = X.indices[X.indptr[d]:X.indptr[d + 1]].tolist()
        for a in words:
            for b in words:
                counts[a, b] += 1
    return counts


def _distances(table):
    images, _ = data.digits()
    pixels = np.round(images * 255 / 16).astype(np.uint8)
    test, train = pixels[1_000:1_200], pixels[:1_000]
    workload = "pairwise distances, 200 x 1,000 digits (uint8)"
    loop = timing.time_call(distances_loop, test, train, repeats=1, warmup=0).best
    table.add(workload, "Python loop (given)", loop)
    expected = distances_in_place(test, train)
    for name, fn, limit in [("NumPy, loop over rows", distances_rows, ""),
                            ("NumPy broadcast, (d*d).sum", distances_broadcast, ""),
                            ("NumPy broadcast, in place (solution)", distances_in_place, TARGET),
                            ("BLAS: |x|^2 + |y|^2 - 2 x.y", distances_blas, "")]:
        assert np.allclose(fn(test, train), expected, rtol=1e-6, atol=1e-6), name
        table.add(workload, name, timing.time_call(fn, test, train, repeats=5).best, baseline=loop, limit=limit)


def _bandwidth(table):
    n = 2**23  # 64 MiB per float64 array, beyond the caches
    rng = np.random.default_rng(0)
    x, y, z = rng.random(n), rng.random(n), np.empty(n)
    x32, y32, z32 = x.astype(np.float32), y.astype(np.float32), np.empty(n, dtype=np.float32)

    def in_place(a, x, y, out):
        np.multiply(x, a, out=out)
        np.add(out, y, out=out)

    kernels = {"copy (np.copyto)": (np.copyto, (z, x), 2 * x.nbytes),
               "a * x + y": (lambda a, x, y: a * x + y, (2.5, x, y), 3 * x.nbytes),
               "in place (out=)": (in_place, (2.5, x, y, z), 3 * x.nbytes),
               "in place, float32": (in_place, (np.float32(2.5), x32, y32, z32), 3 * x32.nbytes)}
    best = dict.fromkeys(kernels, math.inf)
    for _ in range(9):  # interleaved rounds
        for name, (fn, args, _) in kernels.items():
            start = time.perf_counter()
            fn(*args)
            best[name] = min(best[name], time.perf_counter() - start)
    gbs = {name: nbytes / best[name] / 1e9 for name, (_, _, nbytes) in kernels.items()}
    copy = gbs["copy (np.copyto)"]
    workload = "z = a x + y, 64 MiB arrays (GB/s)"
    for name, value in gbs.items():
        table.note(workload, name, f"{value:.1f} GB/s",
                   limit="the yardstick: 2 x bytes / time" if name.startswith("copy")
                   else f"{value / copy:.0%} of the copy (x, y, z bytes / time)")


def _cooccurrence(table):
    for n_docs, plain_repeats in [(200, 3), (20_000, 1)]:
        corpus = data.zipf_corpus(n_docs, vocab_size=VOCAB, seed=0)
        started = time.perf_counter()
        plain_result = cooccurrence_plain(corpus, VOCABULARY)
        plain = time.perf_counter() - started
        if plain_repeats > 1:
            plain = min(plain, timing.time_call(cooccurrence_plain, corpus, VOCABULARY,
                                                repeats=plain_repeats - 1, warmup=0).best)
        for fn in (cooccurrence_sparse, cooccurrence_sparse_numpy):
            assert (sparse.csr_matrix(fn(corpus, VOCABULARY)) != plain_result).nnz == 0, fn.__name__
        del plain_result
        workload = f"co-occurrence, {n_docs:,} docs x {VOCAB:,} words"
        table.add(workload, f"plain Python (best of {plain_repeats})", plain)
        table.add(workload, "scipy.sparse X.T @ X (solution)",
                  timing.time_call(cooccurrence_sparse, corpus, VOCABULARY, repeats=3).best, baseline=plain)
        table.add(workload, "scipy.sparse, X built with NumPy",
                  timing.time_call(cooccurrence_sparse_numpy, corpus, VOCABULARY, repeats=3).best,
                  baseline=plain, limit=TARGET if n_docs == 20_000 else "")
        if n_docs == 20_000:  # where the time of the fastest variant goes: Amdahl on its two steps
            shared = timing.time_call(tokenize, corpus, VOCABULARY, repeats=3).best
            table.add(workload, "  its tokenizing step alone", shared, baseline=plain,
                      limit=f"pure Python in every variant: bounds any variant at {plain / shared:.0f}x")
            X = tokenize(corpus, VOCABULARY)
            started = time.perf_counter()
            count_pairs_plain(X)
            loop = time.perf_counter() - started
            step = f"co-occurrence counting step only, {n_docs:,} docs"
            table.add(step, "Python pair loop (dict), X given", loop)
            table.add(step, "scipy.sparse X.T @ X, X given", timing.time_call(count_pairs_sparse, X, repeats=3).best,
                      baseline=loop, limit=TARGET)


def run(table):
    _distances(table)
    _bandwidth(table)
    _cooccurrence(table)
