"""Wrong answers to module 02 and the points each must keep (unnamed cells keep full marks).

Every sample is a whole notebook run (about 45 s), so each one carries a mistake for each of the
three exercises; the exercises' tests are independent of each other.
"""

NOTEBOOK = "02-numba.ipynb"

LOOPS = '''    n, d = X.shape
    labels = np.empty(n, dtype=np.int64)
    inertia = 0.0
    for i in range(n):
        best, best_j = np.inf, 0
        for j in range(centroids.shape[0]):
            distance = 0.0
            for f in range(d):
                diff = X[i, f] - centroids[j, f]
                distance += diff * diff
            if distance < best:
                best, best_j = distance, j
        labels[i] = best_j
        inertia += best
    return labels, inertia'''

KERNEL_BODY = '''        best, best_j = np.inf, 0
        for j in range(centroids.shape[0]):
            distance = 0.0
            for f in range(X.shape[1]):
                diff = X[i, f] - centroids[j, f]
                distance += diff * diff
            if distance < best:
                best, best_j = distance, j
        labels[i] = best_j
        distances[i] = best'''

SAMPLES = {
    "python-racy-unguarded": {
        "why": "exercise 1 not compiled (plain Python loops, right answers); exercise 2 accumulates the "
               "inertia in a shared one-element array inside prange (a race); exercise 3 has no bounds "
               "check, so threads of the last block index past the end",
        "notebook": NOTEBOOK,
        "edits": {
            "assign-numba": "def assign_numba(X, centroids):\n" + LOOPS,
            "assign-parallel": '''@njit(parallel=True)
def assign_parallel(X, centroids):
    n, d = X.shape
    labels = np.empty(n, dtype=np.int64)
    total = np.zeros(1)
    for i in prange(n):
        best, best_j = np.inf, 0
        for j in range(centroids.shape[0]):
            distance = 0.0
            for f in range(d):
                diff = X[i, f] - centroids[j, f]
                distance += diff * diff
            if distance < best:
                best, best_j = distance, j
        labels[i] = best_j
        total[0] += best
    return labels, total[0]''',
            "assign-kernel": '''@cuda.jit
def assign_kernel(X, centroids, labels, distances):
    i = cuda.grid(1)
    if True:
''' + KERNEL_BODY,
        },
        "scores": {"assign-speed": 0, "assign-vs-numpy": 0, "parallel-correct": 0, "parallel-speed": 0,
                   "assign-kernel-tests": 0},
    },
    "object-mode-serial-threadidx": {
        "why": "exercise 1 compiled in object mode without loop lifting (as slow as Python); exercise 2 "
               "uses prange but without parallel=True, so it runs serially; exercise 3 indexes with "
               "threadIdx.x alone, so every block computes the first rows again",
        "notebook": NOTEBOOK,
        "edits": {
            "assign-numba": "@jit(forceobj=True, looplift=False)\ndef assign_numba(X, centroids):\n" + LOOPS,
            "assign-parallel": "@njit\ndef assign_parallel(X, centroids):\n" + LOOPS.replace("range(n)", "prange(n)"),
            "assign-kernel": '''@cuda.jit
def assign_kernel(X, centroids, labels, distances):
    i = cuda.threadIdx.x
    if i < X.shape[0]:
''' + KERNEL_BODY,
        },
        "scores": {"assign-speed": 0, "assign-vs-numpy": 0, "parallel-correct": 0, "parallel-speed": 0,
                   "assign-kernel-tests": 0},
    },
    "float-labels-no-prange": {
        "why": "exercise 1 stores the labels in np.zeros(n), a float64 array (a wrong dtype, right values: "
               "only the correctness test fails); exercise 2 has parallel=True but loops with range, so "
               "Numba finds no prange loop",
        "notebook": NOTEBOOK,
        "edits": {
            "assign-numba": "@njit\ndef assign_numba(X, centroids):\n"
                            + LOOPS.replace("np.empty(n, dtype=np.int64)", "np.zeros(n)"),
            "assign-parallel": "@njit(parallel=True)\ndef assign_parallel(X, centroids):\n" + LOOPS,
        },
        "scores": {"assign-correct": 0, "parallel-correct": 0, "parallel-speed": 0},
    },
}
