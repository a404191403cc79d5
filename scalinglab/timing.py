"""Measuring honestly: warm-up, repeats, interleaved A/B runs, and the CPUs we really have.

A single timing lies: the first call pays for imports, compilation and cold caches, and the
machine's load drifts while we measure. So we warm up first, repeat, report the best (the
run least disturbed by everything else) next to the median (what a typical run costs), and
compare two functions by alternating them, so drift hits both equally.
"""

import math
import operator
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

_UNITS = (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9))


def _three_digits(value):
    """About three significant digits, never in scientific notation: 1.23, 12.3, 123."""
    if abs(value) < 9.995:
        return f"{value:.2f}"
    if abs(value) < 99.95:
        return f"{value:.1f}"
    return f"{value:.0f}"


def format_seconds(seconds):
    """A duration in the unit that keeps it readable: '850 ns', '12.3 ms', '2.50 s'."""
    for unit, scale in _UNITS:
        # 0.9995 so that 999.7 µs reads '1.00 ms', not '1000 µs'.
        if abs(seconds) >= 0.9995 * scale or unit == "ns":
            return f"{_three_digits(seconds / scale)} {unit}"


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of each timed repeat (warm-up calls are not in here)."""

    times: tuple[float, ...]

    def __post_init__(self):
        object.__setattr__(self, "times", tuple(float(t) for t in self.times))
        if not self.times:
            raise ValueError("a Timing needs at least one measured time")

    @property
    def best(self):
        """The least disturbed run: noise only ever adds time."""
        return min(self.times)

    @property
    def median(self):
        """What a typical run costs."""
        return statistics.median(self.times)

    def __str__(self):
        return (f"{format_seconds(self.best)} (best of {len(self.times)}; "
                f"median {format_seconds(self.median)})")


def _check_counts(repeats, warmup):
    repeats, warmup = operator.index(repeats), operator.index(warmup)
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if warmup < 0:
        raise ValueError(f"warmup must be 0 or more, got {warmup}")
    return repeats, warmup


def _timed(clock, fn, args, kwargs):
    start = clock()
    fn(*args, **kwargs)
    return clock() - start


def time_call(fn, *args, repeats=5, warmup=1, clock=time.perf_counter, **kwargs):
    """Time fn(*args, **kwargs): `warmup` untimed calls, then `repeats` timed ones."""
    repeats, warmup = _check_counts(repeats, warmup)
    for _ in range(warmup):
        fn(*args, **kwargs)
    return Timing(tuple(_timed(clock, fn, args, kwargs) for _ in range(repeats)))


@dataclass(frozen=True)
class Comparison:
    """Two timings taken side by side; the speedup compares their best runs."""

    baseline: Timing
    candidate: Timing

    @property
    def speedup(self):
        """How many times faster the candidate is (below 1: slower)."""
        if self.candidate.best == 0:
            return math.inf
        return self.baseline.best / self.candidate.best

    def __str__(self):
        speedup = self.speedup
        verdict = (f"{_three_digits(speedup)}x faster" if speedup >= 1
                   else f"{_three_digits(1 / speedup)}x slower")
        return (f"candidate is {verdict} (baseline {format_seconds(self.baseline.best)}, "
                f"candidate {format_seconds(self.candidate.best)}; "
                f"best of {len(self.candidate.times)})")


def compare(baseline, candidate, *args, repeats=5, warmup=1, clock=time.perf_counter,
            **kwargs):
    """Interleaved A/B timing of two functions called with the same arguments.

    Each repeat times both back to back, and the one that goes first alternates, so slow
    drift in the machine's load (and any advantage of going first or second) is shared.
    """
    repeats, warmup = _check_counts(repeats, warmup)
    for _ in range(warmup):
        baseline(*args, **kwargs)
        candidate(*args, **kwargs)
    base_times, cand_times = [], []
    for i in range(repeats):
        if i % 2 == 0:
            base_times.append(_timed(clock, baseline, args, kwargs))
            cand_times.append(_timed(clock, candidate, args, kwargs))
        else:
            cand_times.append(_timed(clock, candidate, args, kwargs))
            base_times.append(_timed(clock, baseline, args, kwargs))
    return Comparison(Timing(tuple(base_times)), Timing(tuple(cand_times)))


# --- How many CPUs may this process really use? -------------------------------------
#
# os.cpu_count() reports the host's CPUs. A container (Binder, CI, Kubernetes) is usually
# limited by a cgroup CPU quota instead, and a process may be pinned to some CPUs by its
# affinity mask. Starting more busy workers than the quota allows only adds overhead.


def _read(path):
    """A small file's text, or None when it is missing or unreadable."""
    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError):
        return None


def _quota_v2(directory):
    """CPUs allowed by cgroup v2's cpu.max ('max 100000' or '150000 100000'), None if none."""
    text = _read(directory / "cpu.max")
    fields = text.split() if text else []
    try:
        quota, period = fields[0], (int(fields[1]) if len(fields) > 1 else 100_000)
        return None if quota == "max" or period <= 0 else int(quota) / period
    except (IndexError, ValueError):
        return None


def _quota_v1(directory):
    """CPUs allowed by cgroup v1's cpu.cfs_quota_us / cpu.cfs_period_us; -1 means none."""
    try:
        quota = int(_read(directory / "cpu.cfs_quota_us"))
        period = int(_read(directory / "cpu.cfs_period_us"))
    except (TypeError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def _path_and_ancestors(root, cgroup_path):
    """root/a/b/c, root/a/b, root/a, root: a quota on any of them limits this process."""
    parts = [p for p in cgroup_path.split("/") if p not in ("", ".", "..")]
    return [root.joinpath(*parts[:i]) for i in range(len(parts), -1, -1)]


def cpu_quota(proc_root="/proc", cgroup_root="/sys/fs/cgroup"):
    """The cgroup CPU quota of this process in CPUs (1.5 = one and a half), None if unlimited.

    Reads cgroup v2 (cpu.max) and v1 (cpu.cfs_quota_us) along this process's cgroup path and
    all its ancestors, and returns the smallest quota found. Never raises: anything missing
    or unreadable counts as no limit.
    """
    text = _read(Path(proc_root) / "self" / "cgroup") or ""
    root = Path(cgroup_root)
    quotas = []
    for line in text.splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, cgroup_path = rest.partition(":")
        if hierarchy == "0" and controllers == "":          # cgroup v2: "0::/path"
            quotas += [_quota_v2(d) for d in _path_and_ancestors(root, cgroup_path)]
        elif "cpu" in controllers.split(","):              # cgroup v1: "4:cpu,cpuacct:/path"
            for mount in dict.fromkeys((controllers, "cpu,cpuacct", "cpu")):
                quotas += [_quota_v1(d)
                           for d in _path_and_ancestors(root / mount, cgroup_path)]
    quotas = [q for q in quotas if q is not None]
    return min(quotas) if quotas else None


def _affinity_count():
    """CPUs this process is allowed to run on (its affinity mask), or the host's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):     # not on Linux
        return os.cpu_count() or 1


def effective_cpu_count(proc_root="/proc", cgroup_root="/sys/fs/cgroup"):
    """The number of CPUs this process can really keep busy: affinity and cgroup quota.

    A quota of 1.5 CPUs rounds up to 2 (two workers can share it); the result is at least 1.
    """
    count = _affinity_count()
    quota = cpu_quota(proc_root=proc_root, cgroup_root=cgroup_root)
    if quota is not None:
        count = min(count, math.ceil(quota))
    return max(1, count)
