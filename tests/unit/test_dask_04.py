"""Module 04's helpers: a real scheduler and workers on loopback, reached by address; memory
watching; the dashboard link through JupyterLab's proxy; the sales data and its Parquet reads."""

import os
import socket
import subprocess
import sys

import matplotlib
import numpy as np
import pandas as pd
import psutil
import pytest

from scalinglab import dask_04

matplotlib.use("Agg")


def _kill_leftovers(processes):
    """Whatever a failing test left running is killed here, so no test leaks processes."""
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_scheduler_on_loopback_is_reached_by_address_and_always_stopped():
    import dask
    import dask.array as da
    from dask.distributed import Client

    started = []
    try:
        with pytest.raises(RuntimeError, match="the block failed"):
            with dask_04.loopback_cluster(n_workers=2, memory_limit="300MiB", dashboard=False) as real:
                started = list(real.processes)
                assert len(started) == 3 and all(p.poll() is None for p in started)
                assert real.address.startswith("tcp://127.0.0.1:")
                assert dask_04.command_line(real.commands[0]).startswith("dask scheduler --host 127.0.0.1")
                # The documented setting: Client() without arguments reads `scheduler-address`,
                # the key that DASK_SCHEDULER_ADDRESS sets.
                with dask.config.set({"scheduler-address": real.address}), Client(timeout=60) as client:
                    client.wait_for_workers(2, timeout=60)
                    assert client.scheduler.address == real.address
                    x = da.arange(1_000_000, chunks=100_000, dtype=np.int64)
                    assert int((x * 2).sum().compute()) == 999_999 * 1_000_000
                    ran_in = set(client.run(os.getpid).values())
                    assert ran_in == {p.pid for p in started[1:]}, "the tasks ran in the two worker processes"
                # The environment variable itself, in a fresh interpreter.
                script = ("from dask.distributed import Client\n"
                          "with Client(timeout=60) as c:\n"
                          "    print(c.scheduler.address, c.submit(sum, [1, 2, 3]).result())\n")
                env = {**os.environ, "DASK_SCHEDULER_ADDRESS": real.address}
                done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                                      timeout=120)
                assert done.returncode == 0, done.stderr
                assert done.stdout.split() == [real.address, "6"]
                raise RuntimeError("the block failed")  # the processes must be stopped all the same
        assert started and all(p.poll() is not None for p in started), "a Dask process outlived the block"
    finally:
        _kill_leftovers(started)


def test_a_scheduler_that_cannot_start_is_reported_and_nothing_is_left(monkeypatch, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setattr(dask_04, "free_port", lambda host="127.0.0.1": port)
        before = {p.pid for p in psutil.Process().children(recursive=True)}
        with pytest.raises(RuntimeError, match="stopped early|did not listen"):
            with dask_04.loopback_cluster(n_workers=1, directory=tmp_path, timeout=60):
                pass
    left = [p for p in psutil.Process().children(recursive=True)
            if p.pid not in before and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, f"processes left behind: {left}"


def test_memory_watch_sees_a_process_grow_and_files_appear(tmp_path):
    grow = ("import sys, time, numpy as np\n"
            "a = np.ones(100 * 2**20 // 8)\n"  # 100 MiB, touched
            "open(sys.argv[1], 'wb').write(b'x' * 3_000_000)\n"
            "time.sleep(0.5)\n")
    child = subprocess.Popen([sys.executable, "-c", grow, str(tmp_path / "f")])
    try:
        with dask_04.MemoryWatch([child.pid], folder=tmp_path, interval=0.02) as watch:
            child.wait(timeout=60)
    finally:
        _kill_leftovers([child])
    assert watch.peak_rss > 100 * 2**20
    assert watch.peak_disk == 3_000_000 == dask_04.folder_bytes(tmp_path)
    assert len(watch.times) == len(watch.rss) == len(watch.disk) >= 2


def test_dashboard_links(monkeypatch):
    server = {"url": "http://localhost:8888/lab-base/", "pid": 1}
    assert (dask_04.proxied_dashboard_link("http://127.0.0.1:8787/status", server=server)
            == "http://localhost:8888/lab-base/proxy/8787/status")
    # Already proxied (Binder, where binder/start sets DASK_DISTRIBUTED__DASHBOARD__LINK): nothing to add.
    assert dask_04.proxied_dashboard_link("/user/me/proxy/8787/status", server=server) is None
    assert dask_04.proxied_dashboard_link(None, server=server) is None
    # No Jupyter server started this process (pytest, nbclient): no proxied link.
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)
    assert dask_04.proxied_dashboard_link("http://127.0.0.1:8787/status") is None
    monkeypatch.setenv("JPY_PARENT_PID", str(os.getpid()))  # a parent that is no Jupyter server
    assert dask_04.proxied_dashboard_link("http://127.0.0.1:8787/status") is None
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        assert dask_04.dashboard_address(preferred=port) == "127.0.0.1:0"
    assert dask_04.dashboard_address(preferred=port) == f"127.0.0.1:{port}"


def test_sales_are_deterministic_and_parquet_reads_are_seen(tmp_path):
    import dask.dataframe as dd

    paths = dask_04.write_sales(tmp_path / "a", days=6, rows_per_day=(100, 200), stores=7, extra_columns=3, seed=5)
    dask_04.write_sales(tmp_path / "b", days=6, rows_per_day=(100, 200), stores=7, extra_columns=3, seed=5)
    first, again = pd.read_parquet(tmp_path / "a"), pd.read_parquet(tmp_path / "b")
    assert len(paths) == 6 and first.equals(again)
    assert list(first.columns) == ["day", "store", "amount", "m00", "m01", "m02"]
    assert set(first.day) == set(range(6)) and set(first.store) <= set(range(7))
    assert 0.01 < (first.amount < 0).mean() < 0.15, "about 5% refunds"
    sizes = first.groupby("day").size()
    assert sizes.nunique() > 1, "days differ in size, so a mean of daily means is not the mean"

    lazy = dd.read_parquet(tmp_path / "a", filters=[("day", ">=", 4)])
    query = lazy[lazy.amount > 0].groupby("store").amount.mean()
    assert dask_04.parquet_reads(query) == [(["store", "amount"], 2)]
    everything = dd.read_parquet(tmp_path / "a").groupby("store").amount.mean()
    assert dask_04.parquet_reads(everything) == [(["store", "amount"], 6)]
    assert dask_04.parquet_reads(dd.from_pandas(first, npartitions=2).amount.sum()) == []


def test_task_graph_drawing():
    import dask

    @dask.delayed
    def inc(i):
        return i + 1

    total = dask.delayed(sum)([inc(i) for i in range(3)])
    ax = dask_04.draw_task_graph(total)
    assert ax.get_title().startswith("4 tasks")
    labels = sorted(text.get_text() for text in ax.texts if text.get_text())
    assert labels == ["inc", "inc", "inc", "sum"]
    with pytest.raises(ValueError, match="too many"):
        dask_04.draw_task_graph(dask.delayed(sum)([inc(i) for i in range(70)]))
