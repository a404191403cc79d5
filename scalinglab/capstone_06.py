"""Module 06 (capstone): the corpus with topics, and the tools that measure a pipeline's variants.

- `topic_corpus`: documents from `data.zipf_corpus` whose content words depend on a hidden topic,
  so that clustering them has a right answer;
- `measure`: the run time and the peak memory of one call, worker processes included;
- `lines_changed`: how many lines of code a variant changed, compared with the simple version;
- `cooccurrence_numba`: the co-occurrence matrix counted by a compiled loop (module 02's tool),
  a variant that `make bench` measures beside the notebook's;
- `close_workers`: shut down the worker processes that joblib keeps for reuse.
"""

import ast
import difflib
import inspect
import io
import os
import textwrap
import threading
import time
import tokenize
from dataclasses import dataclass

import numpy as np
import psutil

from . import data

SHARED_WORDS = 5  # the most frequent words (w0 ... w4) belong to every topic, like "the" and "of"


def topic_corpus(n_docs, n_topics=4, vocab_size=2_000, words_per_doc=(80, 240), seed=0,
                 return_topics=False):
    """`n_docs` documents from `data.zipf_corpus`, each written about one of `n_topics` topics.

    Every topic uses the same Zipf-distributed word ranks, but gives the ranks to different
    words: rank r (beyond the SHARED_WORDS most frequent words, which all topics share) is word
    w{S + (r - S + topic * (span // n_topics)) % span}, with S = SHARED_WORDS and
    span = vocab_size - S.
    So the documents of one topic share their frequent content words, and the topics can be
    found by clustering. Words stay in w0 ... w{vocab_size - 1}; documents have
    `words_per_doc` words (inclusive range). With `return_topics`, also returns the hidden
    topic of each document (an int array).
    """
    if n_topics < 1 or vocab_size <= SHARED_WORDS:
        raise ValueError(f"need n_topics >= 1 and vocab_size > {SHARED_WORDS}")
    documents = data.zipf_corpus(n_docs, vocab_size=vocab_size, words_per_doc=words_per_doc, seed=seed)
    topics = np.random.default_rng([seed, 6]).integers(0, n_topics, size=n_docs)
    span = vocab_size - SHARED_WORDS
    ranks = np.arange(vocab_size)
    shifted = [np.where(ranks < SHARED_WORDS, ranks,
                        SHARED_WORDS + (ranks - SHARED_WORDS + t * (span // n_topics)) % span)
               for t in range(n_topics)]
    names = np.array([f"w{r}" for r in range(vocab_size)])
    out = []
    for document, topic in zip(documents, topics):
        words = np.array(document.replace("w", "").split(), dtype=np.int64)
        out.append(" ".join(names[shifted[topic][words]]))
    return (out, topics) if return_topics else out


@dataclass(frozen=True)
class Measured:
    """One measured call: its result, wall-clock seconds, and peak resident memory in bytes of
    this process together with the child processes that worked during the call."""

    result: object
    seconds: float
    peak_bytes: int
    child_processes: int

    @property
    def peak_mb(self):
        return self.peak_bytes / 1e6


def _children(process):
    try:
        return process.children(recursive=True)
    except psutil.Error:
        return []


def _cpu_seconds(processes):
    """{pid: CPU seconds used so far} of the processes still there to ask."""
    used = {}
    for process in processes:
        try:
            times = process.cpu_times()
            used[process.pid] = times.user + times.system
        except psutil.Error:
            pass  # ended between listing and reading
    return used


def _resident(processes):
    """{pid: resident bytes} of the processes still there to ask."""
    found = {}
    for process in processes:
        try:
            found[process.pid] = process.memory_info().rss
        except psutil.Error:
            pass
    return found


def measure(fn, *args, interval=0.01, **kwargs):
    """Call fn(*args, **kwargs) once; return a `Measured` with its time and peak memory.

    Memory is the resident memory of this process plus that of every child process that
    worked during the call: started during it, or used CPU time in it. Idle children, such as
    the workers joblib keeps between calls, are left out of a call that does not use them.
    A background thread samples every `interval` seconds (and looks for new child processes
    every 50th sample: listing them scans every process of the system, which would slow the
    call down), so a peak shorter than that can be missed: read the number as a lower bound.
    It includes what this process held before the call (imports, data), which is part of what
    running the pipeline needs.
    """
    me = psutil.Process(os.getpid())
    children = _children(me)
    cpu_before = _cpu_seconds(children)
    samples, done = [], threading.Event()

    def sample():
        family, count = children, 0
        while True:
            if count % 50 == 49:
                family = _children(me)
            samples.append((me.memory_info().rss, _resident(family)))
            count += 1
            if done.wait(interval):
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        started = time.perf_counter()
        result = fn(*args, **kwargs)
        seconds = time.perf_counter() - started
    finally:
        done.set()
        sampler.join()
    children = _children(me)
    samples.append((me.memory_info().rss, _resident(children)))
    cpu_after = _cpu_seconds(children)
    seen = {pid for _, resident in samples for pid in resident}
    worked = {pid for pid in seen if pid not in cpu_before
              or cpu_after.get(pid, cpu_before[pid]) - cpu_before[pid] > 0.01}
    peak = max(own + sum(rss for pid, rss in resident.items() if pid in worked) for own, resident in samples)
    return Measured(result, seconds, peak, len(worked))


def _body_lines(fn):
    """A function's body as a list of stripped source lines: no signature, docstring, comments,
    blank lines or indentation."""
    source = textwrap.dedent(inspect.getsource(fn))
    lines = source.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:                      # cut comments off their lines
            row, column = token.start
            lines[row - 1] = lines[row - 1][:column]
    (node,) = [n for n in ast.parse(source).body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    body = node.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]                                           # the docstring
    return [line.strip() for line in lines[body[0].lineno - 1: body[-1].end_lineno] if line.strip()]


def lines_changed(before, after):
    """Lines of code a variant changed: `before` and `after` are functions or lists of them.

    Compares the functions' bodies (signatures, docstrings, comments, blank lines and
    indentation left out) and counts, for every differing stretch, the larger of the lines removed and the
    lines added: editing one line counts 1, adding five counts 5.
    """
    def body(functions):
        functions = functions if isinstance(functions, (list, tuple)) else [functions]
        return [line for fn in functions for line in _body_lines(fn)]

    old, new = body(before), body(after)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal")


def count_pairs(words, starts, size):
    """Dense co-occurrence counts: documents are the stretches starts[d]:starts[d + 1] of
    `words` (distinct word indices); every ordered pair in a document adds 1. Plain Python
    here; `cooccurrence_numba` runs it compiled."""
    counts = np.zeros((size, size), dtype=np.int64)
    for d in range(len(starts) - 1):
        for i in range(starts[d], starts[d + 1]):
            for j in range(starts[d], starts[d + 1]):
                counts[words[i], words[j]] += 1
    return counts


_compiled = {}


def cooccurrence_numba(documents, vocabulary):
    """C[a, b] = number of documents containing both vocabulary[a] and vocabulary[b], counted
    by `count_pairs` compiled with Numba into a dense V x V array, returned as a sparse matrix.

    The first call imports Numba and compiles the loop (a second or two). The dense array
    costs 8 V**2 bytes: 32 MB for 2,000 words, 800 MB for 10,000.
    """
    from scipy import sparse

    if "count_pairs" not in _compiled:
        from numba import njit

        _compiled["count_pairs"] = njit(count_pairs)
    index = {word: i for i, word in enumerate(vocabulary)}
    words, starts = [], [0]
    for document in documents:
        words.extend({index[word] for word in document.split()})  # distinct: a document counts once
        starts.append(len(words))
    counts = _compiled["count_pairs"](np.array(words, dtype=np.int64), np.array(starts, dtype=np.int64),
                                      len(vocabulary))
    return sparse.csr_matrix(counts)


def close_workers():
    """Shut down the worker processes joblib keeps alive for reuse (its loky executor).

    joblib's default backend starts workers on the first parallel call and keeps them for
    the next ones (they exit by themselves after 5 idle minutes). A notebook closes what it
    starts: call this when you are done with them. The next parallel call starts new ones.
    """
    from joblib.externals.loky import reusable_executor

    executor = reusable_executor._executor  # None when no worker was started (creating one would start some)
    if executor is not None:
        executor.shutdown(wait=True)
