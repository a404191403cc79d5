"""Unit tests for scalinglab.timing: exact results from fake clocks and fake cgroup trees."""

import os

import pytest

from scalinglab import timing
from scalinglab.timing import (Comparison, Timing, compare, cpu_quota, effective_cpu_count,
                               format_seconds, time_call)


class FakeClock:
    """A clock whose readings come from a list; it logs each reading into a shared log."""

    def __init__(self, readings, log=None):
        self.readings = iter(readings)
        self.log = log if log is not None else []

    def __call__(self):
        self.log.append("tick")
        return next(self.readings)


class SteppingClock:
    """A clock that only moves when a fake workload advances it: exact, order-free timings."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def work(self, seconds, log, name):
        def fn(*args, **kwargs):
            log.append(name)
            self.now += seconds
        return fn


# --- format_seconds and Timing ---------------------------------------------------------

@pytest.mark.parametrize("seconds, text", [
    (0.0, "0.00 ns"),
    (5e-9, "5.00 ns"),
    (850e-9, "850 ns"),
    (1.5e-6, "1.50 µs"),
    (42.0e-6, "42.0 µs"),
    (0.0123, "12.3 ms"),
    (0.0009997, "1.00 ms"),     # rounds up into the next unit, not "1000 µs"
    (2.5, "2.50 s"),
    (123.4, "123 s"),
    (4000.0, "4000 s"),
])
def test_format_seconds_picks_a_readable_unit(seconds, text):
    assert format_seconds(seconds) == text


def test_timing_best_median_and_str():
    t = Timing((0.0131, 0.0123, 0.020, 0.0140, 0.0125))
    assert t.best == 0.0123
    assert t.median == 0.0131
    assert str(t) == "12.3 ms (best of 5; median 13.1 ms)"


def test_timing_stores_a_tuple_and_needs_a_time():
    assert Timing([1, 2]).times == (1.0, 2.0)
    with pytest.raises(ValueError):
        Timing(())


# --- time_call ---------------------------------------------------------------------------

def test_time_call_is_exact_with_a_fake_clock():
    clock = FakeClock([0.0, 1.0, 10.0, 12.0, 20.0, 23.0])
    result = time_call(lambda: None, repeats=3, warmup=0, clock=clock)
    assert result.times == (1.0, 2.0, 3.0)
    assert result.best == 1.0 and result.median == 2.0


def test_time_call_does_not_time_warm_up_calls():
    log = []
    clock = FakeClock([0.0, 0.5, 1.0, 1.25], log)
    result = time_call(lambda: log.append("call"), repeats=2, warmup=3, clock=clock)
    assert log == ["call"] * 3 + ["tick", "call", "tick"] * 2
    assert result.times == (0.5, 0.25)


def test_time_call_passes_arguments_through():
    seen = []
    time_call(lambda *a, **k: seen.append((a, k)), 1, 2, key="v", repeats=2, warmup=1,
              clock=FakeClock(range(4)))
    assert seen == [((1, 2), {"key": "v"})] * 3


@pytest.mark.parametrize("repeats, warmup", [(0, 1), (-1, 1), (5, -1)])
def test_time_call_rejects_bad_counts(repeats, warmup):
    calls = []
    with pytest.raises(ValueError):
        time_call(lambda: calls.append(1), repeats=repeats, warmup=warmup)
    assert calls == []


def test_time_call_rejects_non_integer_counts():
    with pytest.raises(TypeError):
        time_call(lambda: None, repeats=2.5)


# --- compare -----------------------------------------------------------------------------

def test_compare_interleaves_and_alternates_order():
    log, clock = [], SteppingClock()
    slow, fast = clock.work(3.0, log, "A"), clock.work(1.0, log, "B")
    result = compare(slow, fast, repeats=4, warmup=1, clock=clock)
    assert log == ["A", "B",                       # warm-up
                   "A", "B", "B", "A", "A", "B", "B", "A"]
    assert result.baseline.times == (3.0,) * 4     # each time lands on the right function
    assert result.candidate.times == (1.0,) * 4
    assert result.speedup == 3.0


def test_compare_does_not_time_warm_up_calls():
    log = []
    clock = FakeClock([0.0, 4.0, 4.0, 5.0], log)
    result = compare(lambda: log.append("A"), lambda: log.append("B"),
                     repeats=1, warmup=2, clock=clock)
    assert log == ["A", "B", "A", "B", "tick", "A", "tick", "tick", "B", "tick"]
    assert result.baseline.times == (4.0,) and result.candidate.times == (1.0,)


def test_compare_passes_the_same_arguments_to_both():
    seen = []
    compare(lambda x, y=0: seen.append(("A", x, y)), lambda x, y=0: seen.append(("B", x, y)),
            7, y=8, repeats=1, warmup=0, clock=FakeClock(range(4)))
    assert seen == [("A", 7, 8), ("B", 7, 8)]


@pytest.mark.parametrize("repeats, warmup", [(0, 0), (3, -2)])
def test_compare_rejects_bad_counts(repeats, warmup):
    with pytest.raises(ValueError):
        compare(lambda: None, lambda: None, repeats=repeats, warmup=warmup)


def test_comparison_speedup_and_str():
    faster = Comparison(Timing((0.030, 0.031)), Timing((0.010, 0.012)))
    assert faster.speedup == pytest.approx(3.0)
    assert str(faster) == "candidate is 3.00x faster (baseline 30.0 ms, candidate 10.0 ms; best of 2)"
    slower = Comparison(Timing((1.0,)), Timing((2.0,)))
    assert slower.speedup == 0.5
    assert "2.00x slower" in str(slower)
    assert Comparison(Timing((1.0,)), Timing((0.0,))).speedup == float("inf")


def test_real_clock_measures_something():
    result = compare(sum, sorted, range(1000), repeats=3)
    assert len(result.baseline.times) == 3 and result.baseline.best >= 0
    assert time_call(sum, range(10), repeats=2).best >= 0


# --- cpu_quota and effective_cpu_count on fake /proc and /sys/fs/cgroup trees -------------

@pytest.fixture
def affinity(monkeypatch):
    """Pin the affinity mask to n CPUs, so results do not depend on this machine."""
    def pin(n):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(n)), raising=False)
    pin(8)
    return pin


def fake_tree(tmp_path, cgroup_lines, files):
    """Write /proc/self/cgroup and cgroup files under tmp_path; return the two roots."""
    proc, cgroup = tmp_path / "proc", tmp_path / "cgroup"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "cgroup").write_text("".join(line + "\n" for line in cgroup_lines))
    cgroup.mkdir()
    for relative, text in files.items():
        path = cgroup / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    return {"proc_root": str(proc), "cgroup_root": str(cgroup)}


V2 = ["0::/user.slice/app.scope"]


def test_v2_unlimited(tmp_path, affinity):
    roots = fake_tree(tmp_path, V2, {"user.slice/app.scope/cpu.max": "max 100000",
                                     "user.slice/cpu.max": "max 100000"})
    assert cpu_quota(**roots) is None
    assert effective_cpu_count(**roots) == 8


def test_v2_quota_one_and_a_half_rounds_up_to_two(tmp_path, affinity):
    roots = fake_tree(tmp_path, V2, {"user.slice/app.scope/cpu.max": "150000 100000"})
    assert cpu_quota(**roots) == 1.5
    assert effective_cpu_count(**roots) == 2


def test_v2_quota_half_a_cpu_is_one(tmp_path, affinity):
    roots = fake_tree(tmp_path, V2, {"user.slice/app.scope/cpu.max": "50000 100000"})
    assert cpu_quota(**roots) == 0.5
    assert effective_cpu_count(**roots) == 1


def test_v2_quota_on_an_ancestor_only(tmp_path, affinity):
    roots = fake_tree(tmp_path, V2, {"user.slice/app.scope/cpu.max": "max 100000",
                                     "user.slice/cpu.max": "300000 100000"})
    assert cpu_quota(**roots) == 3.0
    assert effective_cpu_count(**roots) == 3


def test_v2_smallest_quota_on_the_path_wins(tmp_path, affinity):
    roots = fake_tree(tmp_path, V2, {"user.slice/app.scope/cpu.max": "400000 100000",
                                     "user.slice/cpu.max": "200000 50000",
                                     "cpu.max": "250000 100000"})
    assert cpu_quota(**roots) == 2.5
    assert effective_cpu_count(**roots) == 3


def test_v2_container_root_quota_when_the_path_is_not_mounted(tmp_path, affinity):
    # Without a cgroup namespace, /proc/self/cgroup shows the host's path, while the
    # container sees its own cgroup at the mount root.
    roots = fake_tree(tmp_path, ["0::/kubepods/pod1/abc"], {"cpu.max": "100000 100000"})
    assert cpu_quota(**roots) == 1.0
    assert effective_cpu_count(**roots) == 1


def test_v1_quota(tmp_path, affinity):
    roots = fake_tree(tmp_path, ["5:memory:/docker/abc", "4:cpu,cpuacct:/docker/abc"],
                      {"cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "250000",
                       "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000"})
    assert cpu_quota(**roots) == 2.5
    assert effective_cpu_count(**roots) == 3


def test_v1_quota_under_a_plain_cpu_mount(tmp_path, affinity):
    roots = fake_tree(tmp_path, ["2:cpuacct,cpu:/docker/abc"],
                      {"cpu/docker/abc/cpu.cfs_quota_us": "200000",
                       "cpu/docker/abc/cpu.cfs_period_us": "100000"})
    assert effective_cpu_count(**roots) == 2


def test_v1_falls_back_to_the_controller_root(tmp_path, affinity):
    roots = fake_tree(tmp_path, ["4:cpu,cpuacct:/docker/abc"],
                      {"cpu,cpuacct/cpu.cfs_quota_us": "100000",
                       "cpu,cpuacct/cpu.cfs_period_us": "100000"})
    assert cpu_quota(**roots) == 1.0
    assert effective_cpu_count(**roots) == 1


def test_v1_unlimited(tmp_path, affinity):
    roots = fake_tree(tmp_path, ["4:cpu,cpuacct:/", "0::/"],
                      {"cpu,cpuacct/cpu.cfs_quota_us": "-1",
                       "cpu,cpuacct/cpu.cfs_period_us": "100000"})
    assert cpu_quota(**roots) is None
    assert effective_cpu_count(**roots) == 8


def test_missing_files_mean_no_limit(tmp_path, affinity):
    nowhere = {"proc_root": str(tmp_path / "no-proc"), "cgroup_root": str(tmp_path / "no-cg")}
    assert cpu_quota(**nowhere) is None
    assert effective_cpu_count(**nowhere) == 8
    # A cgroup file that points at directories without any CPU files.
    roots = fake_tree(tmp_path, V2 + ["4:cpu:/a"], {})
    assert cpu_quota(**roots) is None
    assert effective_cpu_count(**roots) == 8


def test_garbage_files_mean_no_limit(tmp_path, affinity):
    roots = fake_tree(tmp_path, ["nonsense", "0::/a", "3:cpu:/a"],
                      {"a/cpu.max": "lots", "cpu/a/cpu.cfs_quota_us": "x",
                       "cpu/a/cpu.cfs_period_us": "0"})
    assert cpu_quota(**roots) is None
    assert effective_cpu_count(**roots) == 8


def test_affinity_can_be_the_smaller_limit(tmp_path, affinity):
    affinity(2)
    roots = fake_tree(tmp_path, V2, {"user.slice/app.scope/cpu.max": "400000 100000"})
    assert cpu_quota(**roots) == 4.0
    assert effective_cpu_count(**roots) == 2


def test_never_below_one(tmp_path, monkeypatch, affinity):
    affinity(0)
    assert effective_cpu_count(**fake_tree(tmp_path, V2, {})) == 1
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: None)     # "undetermined"
    assert effective_cpu_count(**fake_tree(tmp_path / "q", V2, {})) == 1


def test_without_sched_getaffinity_the_cpu_count_is_used(tmp_path, monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    roots = fake_tree(tmp_path, V2, {"user.slice/app.scope/cpu.max": "max 100000"})
    assert effective_cpu_count(**roots) == 6
    roots = fake_tree(tmp_path / "q", V2, {"user.slice/cpu.max": "150000 100000"})
    assert effective_cpu_count(**roots) == 2


def test_effective_cpu_count_on_this_machine_is_sane():
    count = effective_cpu_count()
    assert 1 <= count <= (os.cpu_count() or 1)
    assert isinstance(count, int)
    quota = timing.cpu_quota()
    assert quota is None or quota > 0
