"""Module 03's worker tasks give the right answers, report their threads, and travel by reference."""

import os
import pickle

import numpy as np
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from scalinglab import workloads, workloads_03


def test_small_tasks():
    assert workloads_03.primes_in((0, 100)) == workloads.count_primes(0, 100) == 25
    assert workloads_03.tiny_task(3) == 10
    xs = list(range(-5, 300))
    assert workloads_03.tiny_batch(xs) == [workloads_03.tiny_task(x) for x in xs]
    assert workloads_03.tiny_batch([]) == []
    assert workloads_03.echo_after(("value", 0.0)) == "value"
    assert workloads_03.worker_pid() == os.getpid()


def test_cv_score_is_deterministic():
    score = workloads_03.cv_score({"C": 10, "gamma": 0.001})
    assert isinstance(score, float) and 0.95 < score < 1.0
    assert workloads_03.cv_score({"C": 10, "gamma": 0.001}) == score
    assert workloads_03.cv_score({"C": 1, "gamma": 0.01}) < score  # too large a gamma overfits


def test_matrix_products_report_their_threads():
    one = workloads_03.matrix_products(7, size=64, count=3, blas_threads=1)
    assert one.pid == os.getpid() and one.blas_threads == 1
    two = workloads_03.matrix_products(7, size=64, count=3, blas_threads=2)
    assert two.blas_threads == 2
    assert np.isclose(one.checksum, two.checksum)
    assert not np.isclose(one.checksum, workloads_03.matrix_products(8, size=64, count=3).checksum)
    with threadpool_limits(limits=1, user_api="blas"):
        assert workloads_03.blas_thread_count() == 1
        assert workloads_03.matrix_products(7, size=64, count=3).blas_threads == 1


def test_worker_report_and_arrays():
    report = workloads_03.worker_report()
    assert report["pid"] == os.getpid() and set(report["variables"]) == set(workloads_03.THREAD_VARIABLES)
    assert any(api == "openblas" for api, _ in report["pools"])
    array = np.arange(12.0).reshape(6, 2)
    assert workloads_03.describe_array(array) == {"type": "ndarray", "file": None, "writeable": True}
    assert workloads_03.rows_sum(array, 1, 3) == 2 + 3 + 4 + 5


def test_tasks_pickle_by_reference():
    for task in (workloads_03.cv_score, workloads_03.matrix_products, workloads_03.tiny_batch):
        assert len(pickle.dumps(task)) < 200
    record = workloads_03.Products(1.5, 12, 2)
    assert pickle.loads(pickle.dumps(record)) == record


def test_in_joblib_workers():
    """joblib's workers start with small BLAS pools; a big array arrives memory-mapped."""
    records = Parallel(n_jobs=2)(delayed(workloads_03.matrix_products)(seed, size=64, count=2)
                                 for seed in range(4))
    assert os.getpid() not in {r.pid for r in records}
    if not any(name in os.environ for name in workloads_03.THREAD_VARIABLES):  # else joblib passes them on
        assert all(r.blas_threads <= max(1, (os.cpu_count() or 1) // 2) for r in records)
    big = np.ones((200_000, 2))  # 3.2 MB: above joblib's 1 MB memory-mapping threshold
    received = Parallel(n_jobs=2)(delayed(workloads_03.describe_array)(big) for _ in range(1))[0]
    assert received["type"] == "memmap" and received["writeable"] is False
