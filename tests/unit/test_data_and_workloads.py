"""Synthetic data is deterministic and shaped as promised; workloads give the right answers."""

from collections import Counter

import pytest

from scalinglab import data, workloads


def test_corpus_is_deterministic_and_zipf_shaped():
    corpus = data.zipf_corpus(400, vocab_size=1_000, seed=3)
    assert corpus == data.zipf_corpus(400, vocab_size=1_000, seed=3)
    assert corpus != data.zipf_corpus(400, vocab_size=1_000, seed=4)
    assert len(corpus) == 400
    assert all(20 <= len(doc.split()) <= 120 for doc in corpus)
    counts = Counter(word for doc in corpus for word in doc.split())
    ranked = [word for word, _ in counts.most_common(3)]
    assert ranked[0] == "w0" and set(ranked) <= {"w0", "w1", "w2", "w3"}
    # Zipf with exponent 1.1: the top word is about 2**1.1 = 2.1 times as frequent as the second.
    assert 1.6 < counts["w0"] / counts["w1"] < 2.8
    assert data.zipf_corpus(0) == []
    with pytest.raises(ValueError):
        data.zipf_corpus(5, vocab_size=0)


def test_tabular_and_digits():
    table = data.tabular(1_000, n_groups=7, seed=1)
    assert list(table.columns) == ["group", "x", "z", "y"]
    assert len(table) == 1_000 and table["group"].nunique() == 7
    assert table.equals(data.tabular(1_000, n_groups=7, seed=1))
    images, labels = data.digits()
    assert images.shape == (1797, 64) and set(labels) == set(range(10))


def test_count_primes_and_split():
    assert workloads.count_primes(0, 100) == 25
    assert workloads.count_primes(2, 3) == 1
    assert workloads.count_primes(90, 97) == 0
    pieces = workloads.split(0, 1_000, 7)
    assert len(pieces) == 7 and pieces[0][0] == 0 and pieces[-1][1] == 1_000
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:]))
    assert sum(workloads.count_primes(a, b) for a, b in pieces) == workloads.count_primes(0, 1_000) == 168


def test_pool_gives_the_serial_answer():
    ranges = workloads.split(0, 20_000, 8)
    assert workloads.count_primes_on_pool(ranges, 2) == workloads.count_primes(0, 20_000) == 2262
