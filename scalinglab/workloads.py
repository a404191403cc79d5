"""CPU-bound tasks for the parallel demos.

They live in a module, not in a notebook cell, because worker processes started by
*spawn* (the default on macOS and Windows) import the function by name: a function
defined in a notebook cannot be found there.
"""

from concurrent.futures import ProcessPoolExecutor


def count_primes(start, stop):
    """Primes in [start, stop), by trial division: pure Python, CPU-bound, nothing shared."""
    count = 0
    for n in range(max(start, 2), stop):
        if n % 2 == 0:
            count += n == 2
            continue
        divisor = 3
        while divisor * divisor <= n:
            if n % divisor == 0:
                break
            divisor += 2
        else:
            count += 1
    return count


def split(start, stop, pieces):
    """[start, stop) cut into `pieces` contiguous ranges of (nearly) equal length."""
    edges = [start + (stop - start) * i // pieces for i in range(pieces + 1)]
    return list(zip(edges[:-1], edges[1:]))


def count_primes_on_pool(ranges, workers):
    """Sum of count_primes over `ranges`, on a pool of `workers` processes.

    The pool's start-up is inside the call on purpose: it is part of what parallelism costs.
    """
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(count_primes, *zip(*ranges)))
