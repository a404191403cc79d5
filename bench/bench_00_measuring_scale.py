"""Module 00: loop vs NumPy on the sum of squares; the prime-counting pool at 1..cores workers."""

import numpy as np

from scalinglab import machine, timing, workloads


def sum_of_squares_loop(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def sum_of_squares_numpy(n):
    i = np.arange(n, dtype=np.int64)
    return int(i @ i)


def run(table):
    n = 1_000_000
    compared = timing.compare(sum_of_squares_loop, sum_of_squares_numpy, n, repeats=7)
    workload = f"sum of squares, n = {n:,}"
    table.add(workload, "Python loop", compared.baseline.best)
    table.add(workload, "NumPy", compared.candidate.best, baseline=compared.baseline.best)

    cores = machine.describe().effective_cores
    bound = 400_000
    workload = f"count primes below {bound:,} (process pool)"
    one = None
    for workers in sorted({1, 2, *machine.worker_counts()}):
        seconds = timing.time_call(workloads.count_primes_on_pool, workloads.split(0, bound, 4 * workers),
                                   workers, repeats=3, warmup=1).best
        one = one or seconds
        efficiency = one / seconds / workers
        table.add(workload, f"{workers} worker(s)", seconds, baseline=one,
                  limit=f"efficiency {efficiency:.0%} ({cores} effective cores)")
