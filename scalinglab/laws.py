"""The laws of parallel speedup, and fitting them to measurements.

Notation used throughout the course:
  p  the parallel fraction of the work (0 <= p <= 1); 1 - p is the serial fraction
  n  the number of workers (processes, threads or devices)
  S  a measured speedup: time on 1 worker / time on n workers
"""

import numpy as np


def amdahl_speedup(p, n):
    """Strong scaling (fixed problem size): S(n) = 1 / ((1 - p) + p / n)."""
    p, n = np.asarray(p, dtype=float), np.asarray(n, dtype=float)
    return 1.0 / ((1.0 - p) + p / n)


def amdahl_limit(p):
    """The speedup Amdahl's law allows with infinitely many workers: 1 / (1 - p)."""
    return float("inf") if p >= 1 else 1.0 / (1.0 - p)


def gustafson_speedup(p, n):
    """Weak scaling (work grows with n): scaled speedup S(n) = (1 - p) + p * n."""
    p, n = np.asarray(p, dtype=float), np.asarray(n, dtype=float)
    return (1.0 - p) + p * n


def efficiency(speedup, n):
    """Parallel efficiency: the share of the n workers' capacity that was useful."""
    return np.asarray(speedup, dtype=float) / np.asarray(n, dtype=float)


def karp_flatt(speedup, n):
    """Experimentally determined serial fraction e = (1/S - 1/n) / (1 - 1/n), for n > 1.

    If e stays flat as n grows, the serial part limits you; if it grows, overhead does.
    """
    s, n = np.asarray(speedup, dtype=float), np.asarray(n, dtype=float)
    if np.any(n <= 1):
        raise ValueError("the Karp-Flatt metric needs more than one worker (n > 1)")
    return (1.0 / s - 1.0 / n) / (1.0 - 1.0 / n)


def _least_squares_slope(x, y):
    """Slope of the line through the origin that best fits (x, y), clipped to [0, 1]."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    denominator = float(np.dot(x, x))
    if denominator == 0.0:
        raise ValueError("need at least one measurement with more than one worker")
    return float(np.clip(np.dot(x, y) / denominator, 0.0, 1.0))


def fit_parallel_fraction(workers, speedups):
    """Fit Amdahl's p to measured (workers, speedup) points.

    Amdahl's law is linear in p once inverted: 1/S - 1 = p * (1/n - 1), so p is the
    least-squares slope through the origin in those coordinates.
    """
    n, s = np.asarray(workers, dtype=float), np.asarray(speedups, dtype=float)
    return _least_squares_slope(1.0 / n - 1.0, 1.0 / s - 1.0)


def fit_gustafson_fraction(workers, scaled_speedups):
    """Fit Gustafson's p to weak-scaling points: S - 1 = p * (n - 1)."""
    n, s = np.asarray(workers, dtype=float), np.asarray(scaled_speedups, dtype=float)
    return _least_squares_slope(n - 1.0, s - 1.0)
