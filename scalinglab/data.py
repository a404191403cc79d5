"""Deterministic synthetic data sets: the same seed gives the same data everywhere.

Nothing is downloaded: text and tables are generated; images come with scikit-learn.
"""

import numpy as np


def zipf_corpus(n_docs, vocab_size=5_000, words_per_doc=(20, 120), exponent=1.1, seed=0):
    """A corpus of `n_docs` documents (strings of space-separated words).

    Word frequencies follow Zipf's law, as in natural language: the word of rank r
    appears with probability proportional to 1 / r**exponent. Words are named w0, w1, ...
    by rank, so "w0" is the most frequent.
    """
    if n_docs < 0 or vocab_size < 1:
        raise ValueError("need n_docs >= 0 and vocab_size >= 1")
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, vocab_size + 1) ** exponent
    lengths = rng.integers(words_per_doc[0], words_per_doc[1] + 1, size=n_docs)
    ranks = rng.choice(vocab_size, size=int(lengths.sum()), p=weights / weights.sum())
    vocabulary = np.array([f"w{r}" for r in range(vocab_size)])
    words = vocabulary[ranks]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    return [" ".join(words[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def tabular(n_rows, n_groups=20, seed=0):
    """A table with an integer key `group`, two float features and a noisy target."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    group = rng.integers(0, n_groups, size=n_rows)
    x = rng.normal(size=n_rows)
    z = rng.uniform(size=n_rows)
    y = 2.0 * x - z + 0.1 * group + rng.normal(scale=0.5, size=n_rows)
    return pd.DataFrame({"group": group, "x": x, "z": z, "y": y})


def digits():
    """8x8 images of handwritten digits (1,797 of them) that ship inside scikit-learn."""
    from sklearn.datasets import load_digits

    return load_digits(return_X_y=True)
