"""Tasks for module 03 (joblib and threadpoolctl), importable by joblib's worker processes.

joblib's default backend, loky, can also run functions defined in a notebook: it pickles them
*by value* with cloudpickle (their code, and every global they use, travels with each batch of
tasks). Functions imported from a module like this one are pickled *by reference* (a module
and a name, a few dozen bytes): the worker imports them itself. That works with every pool
(multiprocessing, concurrent.futures, Dask), keeps messages small, and cannot carry a stale
copy of a notebook global along. Heavy imports (scikit-learn) happen inside the functions,
so importing this module is cheap.
"""

import functools
import os
import time
from typing import NamedTuple

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from .workloads import count_primes

# Environment variables that fix the size of native thread pools when a process starts.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# --- Who ran this task? ---------------------------------------------------------------


def worker_pid(delay=0.0):
    """The process id of whoever runs this task, after sleeping `delay` seconds."""
    time.sleep(delay)
    return os.getpid()


def echo_after(item):
    """item = (value, delay): sleep `delay` seconds, then return `value`.

    Tasks that finish in another order than they started show whether results are put
    back in order.
    """
    value, delay = item
    time.sleep(delay)
    return value


# --- CPU-bound pure Python: holds the GIL ----------------------------------------------


def primes_in(bounds):
    """Primes in [start, stop) for bounds = (start, stop): pure Python, so it holds the GIL."""
    start, stop = bounds
    return count_primes(start, stop)


# --- Tiny tasks: nothing left but overhead ---------------------------------------------


def tiny_task(x):
    """A task of about a tenth of a microsecond: x squared plus one, modulo 97."""
    return (x * x + 1) % 97


def tiny_batch(xs):
    """tiny_task over a whole batch: one call, one message each way, for all of xs."""
    return [(x * x + 1) % 97 for x in xs]


# --- A hyperparameter search -----------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _digits():
    from .data import digits

    return digits()


def cv_score(params, folds=3):
    """Mean cross-validated accuracy of an SVC with `params` (a dict) on the digits data.

    Deterministic: unshuffled stratified folds, and SVC itself draws no random numbers.
    The data are loaded once per process.
    """
    from sklearn.model_selection import cross_val_score
    from sklearn.svm import SVC

    X, y = _digits()
    return float(cross_val_score(SVC(**params), X, y, cv=folds).mean())


# --- Native thread pools (BLAS, OpenMP) --------------------------------------------------


def blas_thread_count():
    """Threads of the largest BLAS pool loaded in this process (0 when none is loaded)."""
    return max((pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"),
               default=0)


def worker_report(delay=0.0):
    """What a worker knows about its thread pools (pid, pools, variables), after `delay` s."""
    time.sleep(delay)
    return {
        "pid": os.getpid(),
        "pools": [(pool.get("internal_api"), pool["num_threads"]) for pool in threadpool_info()],
        "variables": {name: os.environ.get(name) for name in THREAD_VARIABLES},
    }


class Products(NamedTuple):
    """What matrix_products returns: its result, and who computed it with how many threads."""

    checksum: float
    pid: int
    blas_threads: int


def matrix_products(seed, size=192, count=8, blas_threads=None):
    """A chain of `count` products of size x size matrices: BLAS-heavy, little else.

    With blas_threads=None the BLAS thread pool is left as it is; a number limits (or
    raises) it for this call. The result records the threads BLAS had, as threadpoolctl
    reports them from inside the process that did the work.
    """
    with threadpool_limits(limits=blas_threads, user_api="blas"):
        rng = np.random.default_rng(seed)
        a = rng.standard_normal((size, size))
        b = rng.standard_normal((size, size)) / np.sqrt(size)
        checksum = 0.0
        for _ in range(count):
            a = a @ b
            a /= np.abs(a).max()
            checksum += float(a[0, 0])
        threads = blas_thread_count()
    return Products(checksum, os.getpid(), threads)


# --- Big arrays ---------------------------------------------------------------------------


def describe_array(array):
    """How an array argument arrived in this process: its type and, if mapped, its file."""
    return {"type": type(array).__name__, "file": getattr(array, "filename", None),
            "writeable": bool(array.flags.writeable)}


def rows_sum(array, start, stop):
    """Sum of rows start:stop of `array`: a task that reads a slice of a big shared array."""
    return float(array[start:stop].sum())
