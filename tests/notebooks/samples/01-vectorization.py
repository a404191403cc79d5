"""Wrong answers to module 01 and the points each must lose (unnamed cells keep full marks).

Each sample edits solution cells (by grade_id) of the instructor's notebook. A wrong result also
costs the speed point of its exercise: the grader checks every result it times.
"""

NOTEBOOK = "01-vectorization.ipynb"

SAMPLES = {
    "loops-correct-but-slow": {
        "why": "both exercises answered with loops: correct (full correctness points), but too slow "
               "(no speed points)",
        "notebook": NOTEBOOK,
        "edits": {
            "distances-solution": '''def pairwise_distances(X, Y):
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    D = np.empty((len(X), len(Y)))
    for i in range(len(X)):
        for j in range(len(Y)):
            D[i, j] = math.sqrt(sum((a - b) ** 2 for a, b in zip(X[i], Y[j])))
    return D''',
            "cooccurrence-solution": '''def cooccurrence_sparse(documents, vocabulary):
    import itertools
    from collections import Counter
    index = {word: i for i, word in enumerate(vocabulary)}
    counts = Counter()
    for document in documents:
        words = {index[word] for word in document.split()}
        counts.update(itertools.product(words, repeat=2))
    return pairs_to_matrix(counts, len(vocabulary))''',
        },
        "scores": {"distances-speed": 0, "cooccurrence-speed": 0},
    },
    "wrong-dtypes": {
        "why": "wrong dtypes: uint8 pixels subtracted without conversion (they wrap around), and a "
               "bool X whose product saturates at True",
        "notebook": NOTEBOOK,
        "edits": {
            "distances-solution": '''def pairwise_distances(X, Y):
    diff = X[:, None, :] - Y[None, :, :]
    return np.sqrt((diff * diff).sum(axis=-1)).astype(np.float64)''',
            "cooccurrence-solution": '''def cooccurrence_sparse(documents, vocabulary):
    index = {word: i for i, word in enumerate(vocabulary)}
    rows, columns = [], []
    for d, document in enumerate(documents):
        for word in set(document.split()):
            rows.append(d)
            columns.append(index[word])
    X = sparse.csr_matrix((np.ones(len(rows), dtype=bool), (rows, columns)),
                          shape=(len(documents), len(vocabulary)))
    return X.T @ X''',
        },
        "scores": {"distances-correct": 0, "distances-speed": 0,
                   "cooccurrence-correct": 0, "cooccurrence-speed": 0},
    },
    "off-by-one-and-edge-cases": {
        "why": "words numbered from 1 (an R/MATLAB habit, off by one), and distances squeezed, so "
               "that one row gives a 1-D result",
        "notebook": NOTEBOOK,
        "edits": {
            "distances-solution": '''def pairwise_distances(X, Y):
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    diff = X[:, None, :] - Y[None, :, :]
    return np.sqrt((diff ** 2).sum(axis=-1)).squeeze()''',
            "cooccurrence-solution": '''def cooccurrence_sparse(documents, vocabulary):
    index = {word: i for i, word in enumerate(vocabulary, start=1)}
    rows, columns = [], []
    for d, document in enumerate(documents):
        for word in set(document.split()):
            rows.append(d)
            columns.append(index[word])
    X = sparse.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, columns)),
                          shape=(len(documents), len(vocabulary) + 1))
    return X.T @ X''',
        },
        "scores": {"distances-correct": 0, "cooccurrence-correct": 0, "cooccurrence-speed": 0},
    },
    "repeated-words-counted": {
        "why": "X counts repeated words instead of marking presence, so C is not the number of documents",
        "notebook": NOTEBOOK,
        "edits": {
            "cooccurrence-solution": '''def cooccurrence_sparse(documents, vocabulary):
    index = {word: i for i, word in enumerate(vocabulary)}
    rows, columns = [], []
    for d, document in enumerate(documents):
        for word in document.split():
            rows.append(d)
            columns.append(index[word])
    X = sparse.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, columns)),
                          shape=(len(documents), len(vocabulary)))
    return X.T @ X''',
        },
        "scores": {"cooccurrence-correct": 0, "cooccurrence-speed": 0},
    },
    "profile-mistakes": {
        "why": "the hot spot's own time instead of its cumulative time, and a prediction that "
               "multiplies f by s instead of applying Amdahl's law",
        "notebook": NOTEBOOK,
        "edits": {
            "hot-spot-fraction": '''def hot_spot_fraction(stats, name):
    own = sum(v[2] for k, v in stats.stats.items() if k[2] == name)
    return float(own / stats.total_tt)''',
            "amdahl-measure": '''hot_spot_share = hot_spot_fraction(profile_stats, "cooccurrence_plain")
hot_spot_speedup = timing.compare(cooccurrence_plain, cooccurrence_sparse, corpus, VOCABULARY,
                                  repeats=2, warmup=0).speedup
predicted_speedup = hot_spot_share * hot_spot_speedup
measured_speedup = timing.compare(lambda: pipeline(cooccurrence_plain), lambda: pipeline(cooccurrence_sparse),
                                  repeats=2, warmup=0).speedup''',
        },
        "scores": {"hot-spot-fraction-tests": 0, "amdahl-tests": 0},
    },
}
