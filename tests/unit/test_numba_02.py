"""Module 02's helpers: the race check on Numba's parallel loops, the co-occurrence kernel and its
plumbing, and the choice between a real GPU and the CUDA simulator."""

import json
import subprocess
import sys
import warnings

import numba
import numpy as np
import pytest
from numba import njit, prange
from scipy import sparse

from scalinglab import data, kernels_02, machine
from scalinglab.parfor_check_02 import inspect_parallel

# --- parfor_check_02 ---------------------------------------------------------------------------


@njit(parallel=True)
def racy_histogram(labels, k):
    sizes = np.zeros(k, dtype=np.int64)
    for i in prange(labels.size):
        sizes[labels[i]] += 1
    return sizes


@njit(parallel=True)
def racy_total(x):
    total = np.zeros(1)
    for i in prange(x.size):
        total[0] += x[i]
    return total[0]


@njit(parallel=True)
def racy_view(x, out):
    row = out[0]
    for i in prange(x.shape[0]):
        for j in range(x.shape[1]):
            row[j] += x[i, j]
    return out


@njit(parallel=True)
def racy_last(x):
    last = 0.0
    for i in prange(x.size):
        last = x[i]
    return last


@njit(parallel=True)
def safe_reduction(x):
    total = 0.0
    for i in prange(x.size):
        total += x[i]
    return total


@njit(parallel=True)
def safe_rows(x, out):
    for i in prange(x.shape[0]):
        row = out[i]
        for j in range(x.shape[1]):
            row[j] = 2 * x[i, j]
        out[i, 0] += 1.0
    return out


@njit(parallel=True)
def safe_private(x, k):
    total = 0
    for i in prange(x.shape[0]):
        counts = np.zeros(k, dtype=np.int64)      # allocated per iteration (Numba hoists it per thread)
        for j in range(x.shape[1]):
            counts[x[i, j] % k] += 1
        total += counts[0]
    return total


@njit(parallel=True)
def safe_blocks(labels, k, n_blocks):
    partial = np.zeros((n_blocks, k), dtype=np.int64)
    step = (labels.size + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        for i in range(b * step, min(labels.size, (b + 1) * step)):
            partial[b, labels[i]] += 1
    return partial


@njit(parallel=True)
def safe_pndindex(x):
    out = np.empty_like(x)
    for i, j in numba.pndindex(x.shape):
        out[i, j] = x[i, j] + 1
    return out


@njit(parallel=True)
def array_expression_only(x):
    return np.sqrt(x) + 1


@njit
def serial(x):
    total = 0.0
    for value in x:
        total += value
    return total


def _compiled(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # Numba warns about the racing scalar in racy_last
        fn(*args)
    return inspect_parallel(fn)


@pytest.mark.parametrize("fn, args, where", [
    (racy_histogram, (np.arange(20) % 3, 3), "sizes[...]"),
    (racy_total, (np.ones(20),), "total[0]"),
    (racy_view, (np.ones((4, 3)), np.zeros((2, 3))), "row[...]"),
    (racy_last, (np.ones(20),), "variable last"),
])
def test_races_are_reported_with_their_line(fn, args, where):
    found = _compiled(fn, *args)
    assert any(kind == "prange" for _, kind in found["loops"])
    assert len(found["races"]) == 1 and where in found["races"][0], found["races"]
    assert found["races"][0].startswith("line ")


@pytest.mark.parametrize("fn, args", [
    (safe_reduction, (np.ones(20),)),
    (safe_rows, (np.ones((4, 3)), np.zeros((4, 3)))),
    (safe_private, (np.arange(12).reshape(4, 3), 5)),
    (safe_blocks, (np.arange(20) % 3, 3, 4)),
    (safe_pndindex, (np.ones((3, 2)),)),
])
def test_safe_loops_pass(fn, args):
    found = _compiled(fn, *args)
    assert any(kind == "prange" for _, kind in found["loops"]), found
    assert found["races"] == []


def test_loops_that_are_not_prange_and_functions_that_are_not_parallel():
    found = _compiled(array_expression_only, np.ones(10))
    assert found["loops"] and all(kind == "array expression" for _, kind in found["loops"])
    assert _compiled(serial, np.ones(3)) == {"loops": [], "races": []}
    with pytest.raises(TypeError, match="not a Numba-compiled"):
        inspect_parallel(lambda x: x)
    with pytest.raises(TypeError, match="call it once"):
        inspect_parallel(njit(parallel=True)(lambda x: x + 1))


# --- kernels_02 --------------------------------------------------------------------------------

def _reference(documents, vocabulary):
    doc_ptr, doc_words = kernels_02.tokenize(documents, vocabulary)
    X = sparse.csr_matrix((np.ones(doc_words.size, dtype=np.int64), doc_words, doc_ptr),
                          shape=(len(documents), len(vocabulary)))
    return X.T @ X


def _in_blocks(documents, vocabulary, n_blocks):
    V = len(vocabulary)
    doc_ptr, doc_words = kernels_02.tokenize(documents, vocabulary)
    word_ptr, word_docs = kernels_02.invert(doc_ptr, doc_words, V)
    work = kernels_02.pairs_per_word(doc_ptr, doc_words, V)
    edges = kernels_02.row_blocks(work, n_blocks)
    starts = np.concatenate(([0], np.cumsum(np.add.reduceat(work, edges[:-1]))))
    row_end = np.empty(V, dtype=np.int64)
    columns, counts = np.empty(starts[-1], dtype=np.int32), np.empty(starts[-1], dtype=np.int32)
    written = []
    for k in reversed(range(len(edges) - 1)):      # any order: blocks are independent
        lo, hi = edges[k], edges[k + 1]
        written.insert(0, kernels_02.count_rows(lo, hi, word_ptr, word_docs, doc_ptr, doc_words, row_end[lo:hi],
                                                columns[starts[k]:starts[k + 1]], counts[starts[k]:starts[k + 1]]))
    return kernels_02.assemble(edges, starts, written, row_end, columns, counts), edges


@pytest.mark.parametrize("n_blocks", [1, 3, 8])
def test_cooccurrence_in_blocks_equals_the_sparse_product(n_blocks):
    vocabulary = [f"w{rank}" for rank in range(300)]
    documents = data.zipf_corpus(80, vocab_size=300, seed=5) + ["", "w7 w7 w7"]
    got, edges = _in_blocks(documents, vocabulary, n_blocks)
    want = _reference(documents, vocabulary)
    assert got.shape == (300, 300) and (got != want).nnz == 0
    assert 2 <= len(edges) <= n_blocks + 1 and edges[0] == 0 and edges[-1] == 300
    assert np.all(np.diff(edges) > 0)


def test_tokenize_invert_and_work():
    vocabulary = ["a", "b", "c", "d"]
    doc_ptr, doc_words = kernels_02.tokenize(["b a b", "", "c"], vocabulary)
    assert doc_ptr.tolist() == [0, 2, 2, 3] and sorted(doc_words[:2].tolist()) == [0, 1]
    word_ptr, word_docs = kernels_02.invert(doc_ptr, doc_words, 4)
    assert word_ptr.tolist() == [0, 1, 2, 3, 3] and word_docs.tolist() == [0, 0, 2]
    assert kernels_02.pairs_per_word(doc_ptr, doc_words, 4).tolist() == [2, 2, 1, 0]
    assert kernels_02.row_blocks(np.array([5, 0, 0, 5]), 2).tolist() == [0, 3, 4]   # 5 and 5


# --- cuda_02 (in fresh interpreters: the choice must come before Numba is imported) ------------

CHOOSE = """
import json, os, sys
from scalinglab import cuda_02
{setup}
target = cuda_02.choose_target({gpu!r})
print(json.dumps(dict(simulator=target.simulator, reason=target.reason, text=str(target),
                      env=os.environ.get("NUMBA_ENABLE_CUDASIM"),
                      occupancy=os.environ.get("NUMBA_CUDA_LOW_OCCUPANCY_WARNINGS"))))
"""


def _choose(gpu, setup="", env=None):
    clean = {k: v for k, v in __import__("os").environ.items() if not k.startswith("NUMBA_")}
    result = subprocess.run([sys.executable, "-c", CHOOSE.format(gpu=gpu, setup=setup)], capture_output=True,
                            text=True, env={**clean, **(env or {})}, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_no_gpu_means_the_simulator():
    chosen = _choose(None)
    assert chosen["simulator"] and chosen["env"] == "1" and "no NVIDIA GPU" in chosen["reason"]
    assert "simulator" in chosen["text"]


def test_the_environment_can_force_the_simulator():
    chosen = _choose("NVIDIA H100", env={"NUMBA_ENABLE_CUDASIM": "1"})
    assert chosen["simulator"] and "NUMBA_ENABLE_CUDASIM" in chosen["reason"]


def test_a_gpu_that_numba_cannot_use_falls_back_and_says_what_to_install():
    chosen = _choose("NVIDIA H100", setup="cuda_02._probe_gpu = lambda timeout: 'libNVVM cannot be found'")
    assert chosen["simulator"] and chosen["env"] == "1"
    assert "libNVVM cannot be found" in chosen["reason"] and "numba-cuda[cu13]" in chosen["reason"]


def test_a_working_gpu_is_used_without_occupancy_warnings():
    chosen = _choose("NVIDIA H100", setup="cuda_02._probe_gpu = lambda timeout: None")
    assert not chosen["simulator"] and chosen["env"] is None and chosen["occupancy"] == "0"
    assert chosen["text"] == "CUDA kernels run on the GPU: NVIDIA H100."


def test_too_late_once_numba_is_imported():
    chosen = _choose(None, setup="import numba")
    assert not chosen["simulator"] and "already imported" in chosen["reason"]


def test_the_probe_answers_with_a_reason_where_no_gpu_works():
    # Where there is no GPU (CI, Binder) numba-cuda must say why, not hang or crash.
    code = "from scalinglab import cuda_02; print(repr(cuda_02._probe_gpu(120)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=150, check=True)
    answer = eval(result.stdout.strip())
    if machine.describe().gpu is None:
        assert isinstance(answer, str) and answer
    else:
        assert answer is None or isinstance(answer, str)
