"""Module 04: NumPy vs Dask threaded vs Dask distributed on an array mean; the chunk-size sweep;
an out-of-core job at 4x a worker's memory limit, with its peak memory."""

import logging
import os
import tempfile
import time

import dask
import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster, wait

from scalinglab import dask_04, machine, timing

MiB = 2**20


def _cluster(n_workers, memory_limit, directory):
    return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                        local_directory=directory, dashboard_address=None, silence_logs=logging.ERROR)


def _best(fn, repeats=5):
    return timing.time_call(fn, repeats=repeats, warmup=1).best


def array_means(table, cores):
    # In memory: the data is there already; a sum is limited by memory bandwidth.
    n = 6_000
    a = np.random.default_rng(0).random((n, n))
    in_memory = workload = f"mean of a {n:,}² array in memory ({a.nbytes / MiB:.0f} MiB)"
    numpy_best = None
    for rows in (3_000, 1_500):  # blocks of whole rows: contiguous slices of a C-ordered array
        chunked = da.from_array(a, chunks=(rows, n))
        compared = timing.compare(a.mean, lambda: chunked.mean().compute(scheduler="threads"), repeats=9)
        if numpy_best is None:
            numpy_best = compared.baseline.best
            table.add(workload, "NumPy", numpy_best)
        ratio = compared.candidate.best / compared.baseline.best  # from the same interleaved run
        table.add(workload, f"Dask threaded, {n // rows} row blocks", compared.candidate.best, baseline=numpy_best,
                  limit=f"{ratio:.2f}x NumPy's time in the same run (target: within 1.5x)")
    del a, chunked

    # The glossary example: 10,000² random numbers in 1,000² chunks, generated and averaged.
    n, edge = 10_000, 1_000
    workload = f"generate + mean of {n:,}² random numbers ({n * n * 8 / MiB:.0f} MiB)"
    with dask_04.MemoryWatch([os.getpid()]) as kernel:
        numpy_seconds = _best(lambda: np.random.default_rng(0).random((n, n)).mean(), repeats=3)
    table.add(workload, "NumPy", numpy_seconds, limit=f"peak +{(kernel.peak_rss - kernel.rss[0]) / MiB:.0f} MiB")
    job = da.random.default_rng(0).random((n, n), chunks=(edge, edge)).mean()
    with dask_04.MemoryWatch([os.getpid()]) as kernel:
        threaded = _best(lambda: job.compute(scheduler="threads"), repeats=3)
    table.add(workload, f"Dask threaded ({cores} threads)", threaded, baseline=numpy_seconds,
              limit=f"peak +{(kernel.peak_rss - kernel.rss[0]) / MiB:.0f} MiB")
    with tempfile.TemporaryDirectory() as scratch, _cluster(cores, 1024 * MiB, scratch) as cluster, \
            Client(cluster) as client:
        distributed = _best(lambda: client.compute(job).result(), repeats=3)
        table.add(workload, f"Dask distributed ({cores} worker processes)", distributed, baseline=numpy_seconds)
        held = da.random.default_rng(0).random((6_000, 6_000), chunks=(1_500, 6_000)).persist()
        wait(held)
        on_workers = _best(lambda: client.compute(held.mean()).result(), repeats=9)
        table.add(in_memory, "Dask distributed, data on the workers", on_workers,
                  baseline=numpy_best, limit="task and network overhead, no transfer of the data")
        del held


def chunk_sweep(table):
    n = 4_000
    workload = f"chunk sweep: mean of {n:,}² random numbers, threaded"
    measured = []
    for edge in (100, 250, 500, 1_000, 2_000, 4_000):
        job = da.random.default_rng(1).random((n, n), chunks=(edge, edge)).mean()
        measured.append((edge, len(job.__dask_graph__()), _best(lambda: job.compute(scheduler="threads"), repeats=3)))
    reference = dict((edge, seconds) for edge, _, seconds in measured)[1_000]
    for edge, tasks, seconds in measured:
        table.add(workload, f"{edge:,}² chunks ({edge * edge * 8 / 1e6:g} MB)", seconds,
                  baseline=None if edge == 1_000 else reference, limit=f"{tasks:,} tasks")


def out_of_core(table):
    limit = 256 * MiB
    workload = "two-pass variance at 4x a worker's memory limit (1 GiB, 256 MiB worker)"
    for label, memory_limit in (("no memory limit (all in RAM)", None), ("256 MiB limit, spills to disk", limit)):
        with tempfile.TemporaryDirectory() as scratch, dask.config.set({"distributed.worker.memory.target": 0.4}), \
                _cluster(1, memory_limit, scratch) as cluster, Client(cluster) as client:
            (pid,) = client.run(os.getpid).values()
            big = da.random.default_rng(1).random(4 * limit // 8, chunks=1_000_000)
            variance = ((big - big.mean()) ** 2).mean()
            with dask_04.MemoryWatch([pid], folder=scratch) as watch:
                start = time.perf_counter()
                value = client.compute(variance).result()
                seconds = time.perf_counter() - start
            assert abs(value - 1 / 12) < 1e-3
            if memory_limit is None:
                in_ram = seconds
                table.add(workload, label, seconds, limit=f"peak {watch.peak_rss / MiB:.0f} MiB")
            else:
                verdict = "under" if watch.peak_rss < limit else "OVER"
                table.add(workload, label, seconds, baseline=in_ram,
                          limit=f"peak {watch.peak_rss / MiB:.0f} MiB ({verdict} the limit), "
                                f"{watch.peak_disk / MiB:.0f} MiB on disk")


def run(table):
    cores = machine.describe().effective_cores
    array_means(table, cores)
    chunk_sweep(table)
    out_of_core(table)
