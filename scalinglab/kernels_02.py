"""Module 02's compiled co-occurrence kernel, kept in a file so that Numba can cache it.

`cache=True` writes the machine code Numba compiled to disk, next to this file (in
`__pycache__`, or in a user-wide cache folder when that is not writable), and the next process
that imports this module loads it instead of compiling again. For a function in a file, the cache
is keyed on the whole file's contents: edit anything here and every function in it recompiles
once. (A function defined in a notebook cell is cached in IPython's cache folder instead, keyed on
that function's own source; see the notebook.)

The kernel computes rows `lo .. hi-1` of the co-occurrence matrix C = X.T @ X, where X is the 0/1
documents x words matrix, one row at a time with a dense accumulator (Gustavson's algorithm for a
sparse matrix product). Rows never share output cells, so blocks of rows can be computed on
different threads: `nogil=True` releases Python's GIL while the kernel runs, so threads of a
thread pool run it at the same time.
"""

import numpy as np
from numba import njit
from scipy import sparse

__all__ = ["tokenize", "invert", "count_rows", "pairs_per_word", "row_blocks", "assemble"]


def tokenize(documents, vocabulary):
    """Each document's distinct word numbers, one document after the other (plain Python).

    Returns (doc_ptr, doc_words): document d's words are doc_words[doc_ptr[d]:doc_ptr[d + 1]].
    These are the rows of the 0/1 documents x words matrix X in compressed sparse row form.
    """
    index = {word: i for i, word in enumerate(vocabulary)}
    doc_ptr = np.zeros(len(documents) + 1, dtype=np.int64)
    words = []
    for d, document in enumerate(documents):
        words.extend({index[word] for word in document.split()})   # distinct: a document counts once
        doc_ptr[d + 1] = len(words)
    return doc_ptr, np.array(words, dtype=np.int32)


def invert(doc_ptr, doc_words, n_words):
    """The documents that contain each word: (word_ptr, word_docs), the columns of X.

    Word a is in documents word_docs[word_ptr[a]:word_ptr[a + 1]], in increasing order.
    """
    document_of = np.repeat(np.arange(doc_ptr.size - 1, dtype=np.int32), np.diff(doc_ptr))
    order = np.argsort(doc_words, kind="stable")
    word_ptr = np.zeros(n_words + 1, dtype=np.int64)
    np.cumsum(np.bincount(doc_words, minlength=n_words), out=word_ptr[1:])
    return word_ptr, document_of[order]


@njit(nogil=True, cache=True)
def count_rows(lo, hi, word_ptr, word_docs, doc_ptr, doc_words, row_end, columns, counts):
    """Rows lo..hi-1 of C in compressed sparse row (CSR) form; returns the entries written.

    word_docs[word_ptr[a]:word_ptr[a + 1]] are the documents that contain word a, and
    doc_words[doc_ptr[d]:doc_ptr[d + 1]] the distinct words of document d. Row a's column
    numbers and counts go to columns[...] and counts[...], one row after the other from
    position 0; row_end[a - lo] is the position just after row a. columns and counts need room
    for the sum of pairs_per_word over the rows.
    """
    accumulator = np.zeros(word_ptr.size - 1, dtype=np.int32)   # C[a, b] for the current row a
    written = 0
    for a in range(lo, hi):
        row_start = written
        for p in range(word_ptr[a], word_ptr[a + 1]):
            d = word_docs[p]
            for q in range(doc_ptr[d], doc_ptr[d + 1]):
                b = doc_words[q]
                if accumulator[b] == 0:          # first time in this row: a new column
                    columns[written] = b
                    written += 1
                accumulator[b] += 1
        for p in range(row_start, written):      # copy the row out, reset the accumulator
            counts[p] = accumulator[columns[p]]
            accumulator[columns[p]] = 0
        row_end[a - lo] = written
    return written


def pairs_per_word(doc_ptr, doc_words, n_words):
    """For each word a, the (word, word) pairs its row visits: the summed lengths of the
    documents that contain it. An upper bound on row a's entries, and a measure of its work."""
    lengths = np.diff(doc_ptr)
    return np.bincount(doc_words, weights=np.repeat(lengths, lengths), minlength=n_words).astype(np.int64)


def row_blocks(work, n_blocks):
    """Edges of at most n_blocks contiguous ranges of rows with about equal total work.

    Block k is rows edges[k] .. edges[k + 1] - 1. Cutting by work rather than by number of rows
    matters here: the rows of frequent words are far longer than the others.
    """
    work = np.asarray(work, dtype=np.int64)
    targets = np.linspace(0, work.sum(), n_blocks + 1)[1:-1]
    inner = np.searchsorted(np.cumsum(work), targets, side="right")
    return np.unique(np.concatenate(([0], inner, [work.size]))).astype(np.int64)


def assemble(edges, starts, written, row_end, columns, counts):
    """The V x V CSR matrix from blocks of rows that count_rows wrote side by side.

    Block k wrote `written[k]` entries at columns[starts[k]:] and counts[starts[k]:], and the
    ends of its rows (relative to starts[k]) at row_end[edges[k]:edges[k + 1]].
    """
    n_words = int(edges[-1])
    written = np.asarray(written, dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(written)))        # where each block goes in the result
    indptr = np.zeros(n_words + 1, dtype=np.int64)
    for k in range(written.size):
        lo, hi = edges[k], edges[k + 1]
        indptr[lo + 1:hi + 1] = row_end[lo:hi] + offsets[k]
    if written.size == 1:
        keep = slice(starts[0], starts[0] + written[0])
    else:
        keep = np.concatenate([np.arange(starts[k], starts[k] + written[k]) for k in range(written.size)])
    return sparse.csr_matrix((counts[keep], columns[keep], indptr), shape=(n_words, n_words))
