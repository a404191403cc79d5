"""Module 06's helpers: the topic corpus, measuring a call's time and memory, counting changed lines,
the Numba co-occurrence variant, and closing joblib's workers."""

import sys
import time
from collections import Counter

import cloudpickle

import numpy as np
import psutil
import pytest
from joblib import Parallel, delayed
from scipy import sparse

from scalinglab import capstone_06

# Functions of this module travel to joblib's workers by value, as notebook functions do.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def test_topic_corpus_is_deterministic_and_has_topics():
    documents, topics = capstone_06.topic_corpus(120, n_topics=3, vocab_size=500, seed=2, return_topics=True)
    assert documents == capstone_06.topic_corpus(120, n_topics=3, vocab_size=500, seed=2)
    assert documents != capstone_06.topic_corpus(120, n_topics=3, vocab_size=500, seed=3)
    assert len(documents) == 120 and topics.shape == (120,) and set(topics.tolist()) == {0, 1, 2}
    words = [document.split() for document in documents]
    assert all(80 <= len(w) <= 240 for w in words)
    assert {word for w in words for word in w} <= {f"w{r}" for r in range(500)}
    # The shared words are the most frequent everywhere; each topic has its own frequent content words.
    favourite = {}
    for topic in range(3):
        counts = Counter(word for w, t in zip(words, topics) if t == topic for word in w)
        assert counts.most_common(1)[0][0] == "w0"
        favourite[topic] = next(word for word, _ in counts.most_common() if int(word[1:]) >= capstone_06.SHARED_WORDS)
    assert len(set(favourite.values())) == 3
    # One topic is the plain Zipf corpus's ranks: topic 0 leaves every word as it is.
    short = capstone_06.topic_corpus(5, n_topics=1, vocab_size=300, words_per_doc=(0, 10), seed=1)
    assert all(len(d.split()) <= 10 for d in short)
    assert capstone_06.topic_corpus(0) == []
    with pytest.raises(ValueError):
        capstone_06.topic_corpus(3, n_topics=0)


def test_clusters_recover_the_topics():
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import adjusted_rand_score

    documents, topics = capstone_06.topic_corpus(150, n_topics=4, seed=5, return_topics=True)
    X = TfidfVectorizer(token_pattern=r"\S+", min_df=2, sublinear_tf=True).fit_transform(documents)
    labels = KMeans(n_clusters=4, n_init=3, random_state=0).fit_predict(X)
    assert adjusted_rand_score(topics, labels) > 0.9


def _allocate_and_sleep(megabytes, seconds):
    block = np.ones(megabytes * 2**20 // 8)
    time.sleep(seconds)
    return float(block[0])


def test_measure_reports_time_memory_and_the_workers_that_worked():
    # Child processes that earlier tests left in this process (idle pools, say) may do a little
    # background work during a call and be counted; a call can count those, never more.
    strangers = len(psutil.Process().children(recursive=True))
    baseline = psutil.Process().memory_info().rss
    run = capstone_06.measure(_allocate_and_sleep, 200, 0.2)
    assert run.result == 1.0
    assert 0.2 <= run.seconds < 30
    assert run.peak_bytes >= baseline + 150 * 2**20, "a 200 MiB array held for 0.2 s must show in the peak"
    assert run.child_processes <= strangers and run.peak_mb == run.peak_bytes / 1e6

    try:
        parallel = capstone_06.measure(lambda: Parallel(n_jobs=2)(delayed(_allocate_and_sleep)(50, 0.3) for _ in range(4)))
        assert parallel.result == [1.0] * 4
        assert parallel.child_processes >= 2, "the two worker processes worked and must be counted"
        # Workers kept by joblib between calls are idle during a call that does not use them.
        idle = capstone_06.measure(_allocate_and_sleep, 1, 0.05)
        assert idle.child_processes <= strangers, "joblib's idle workers did not work in this call"
        assert idle.peak_bytes < parallel.peak_bytes
    finally:
        capstone_06.close_workers()


def simple(documents, grid):
    """A docstring is not code."""
    # nor is a comment
    return [len(documents) for setting in grid]


def changed(documents, grid):
    """Another docstring."""

    results = [len(documents) for setting in grid]
    results.append(0)
    return results


def test_lines_changed_counts_the_body_only():
    assert capstone_06.lines_changed(simple, simple) == 0
    assert capstone_06.lines_changed(simple, changed) == 3       # one line replaced by three
    assert capstone_06.lines_changed([simple], [simple, changed]) == 3
    assert capstone_06.lines_changed(changed, simple) == 3


def test_numba_cooccurrence_counts_like_the_sparse_product():
    vocabulary = [f"w{r}" for r in np.random.default_rng(0).permutation(300)]
    documents = capstone_06.topic_corpus(40, vocab_size=300, words_per_doc=(0, 30), seed=4) + ["", "w1 w1"]
    index = {word: i for i, word in enumerate(vocabulary)}
    X = np.zeros((len(documents), len(vocabulary)), dtype=np.int64)
    for d, document in enumerate(documents):
        X[d, [index[word] for word in document.split()]] = 1
    counts = capstone_06.cooccurrence_numba(documents, vocabulary)
    assert sparse.issparse(counts) and counts.shape == (300, 300) and counts.dtype == np.int64
    assert np.array_equal(counts.toarray(), X.T @ X)
    # The plain-Python kernel gives the same counts as the compiled one.
    words = np.array([index["w1"], index["w2"], index["w2"]])
    assert capstone_06.count_pairs(words, np.array([0, 2, 3]), 300)[index["w2"], index["w2"]] == 2


def test_close_workers_is_safe_to_call_any_time():
    capstone_06.close_workers()
    capstone_06.close_workers()           # nothing started: nothing to do, and nothing is started
    Parallel(n_jobs=2)(delayed(abs)(-i) for i in range(4))
    capstone_06.close_workers()

    def workers():
        return [p for p in psutil.Process().children(recursive=True)
                if any(part.startswith("LokyProcess") for part in p.cmdline()) and p.is_running()
                and p.status() != psutil.STATUS_ZOMBIE]

    deadline = time.monotonic() + 10
    while workers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not workers(), "close_workers must end joblib's worker processes"


def with_comments(documents, grid):
    results = [len(documents) for setting in grid]  # a trailing comment
    results.append("# not a comment")
    return results


def test_lines_changed_ignores_comments_but_not_strings():
    assert capstone_06.lines_changed(changed, with_comments) == 1   # only the string changed
