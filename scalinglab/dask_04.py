"""Module 04 (Dask): the processes a cluster is made of, what they use, and the module's data.

- `loopback_cluster()`: a real `dask scheduler` and `dask worker` processes on 127.0.0.1, as a
  context manager that always stops them (terminate, wait, kill on timeout).
- `MemoryWatch`: peak resident memory of some processes (Dask workers) and the bytes in a folder
  (their spill directory), sampled in a background thread.
- `dashboard_address()`, `proxied_dashboard_link()`: the dashboard, reachable through
  JupyterLab's proxy (jupyter-server-proxy) when the kernel runs under a local Jupyter server.
- `draw_task_graph()`: a small task graph drawn with matplotlib (no graphviz needed).
- `write_sales()`: the day-partitioned Parquet files of the dataframe section.
"""

import contextlib
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import psutil

LOOPBACK = "127.0.0.1"


# --- ports and the dashboard -----------------------------------------------------------


def free_port(host=LOOPBACK):
    """A TCP port that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_free(port, host=LOOPBACK):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def dashboard_address(preferred=8787, host=LOOPBACK):
    """Where a LocalCluster's dashboard should listen: the usual port 8787 when it is free,
    another free one otherwise (so Dask never warns that 8787 is taken). Loopback only: the
    dashboard is for you, not for the network; JupyterLab's proxy reaches it there."""
    return f"{host}:{preferred if port_is_free(preferred, host) else 0}"


def _jupyter_server():
    """The running Jupyter server that started this kernel, or None (nbclient, a script)."""
    parent = os.environ.get("JPY_PARENT_PID")
    if not parent:
        return None
    try:
        from jupyter_server.serverapp import list_running_servers
        for info in list_running_servers():
            if str(info.get("pid")) == parent:
                return info
    except Exception:  # a link is a convenience: never fail a notebook over it
        return None
    return None


def proxied_dashboard_link(link, server=None):
    """The dashboard `link` as JupyterLab's proxy serves it (…/proxy/<port>/status), or None.

    None when the kernel does not run under a local Jupyter server, or when the link already
    goes through the proxy (on Binder, binder/start sets DASK_DISTRIBUTED__DASHBOARD__LINK so
    that Dask's own link does).
    """
    if not link or "/proxy/" in link:
        return None
    server = server if server is not None else _jupyter_server()
    if not server:
        return None
    port = _port_of(link)
    if port is None:
        return None
    base = server.get("url") or f"http://{LOOPBACK}:{server.get('port')}{server.get('base_url', '/')}"
    return f"{base.rstrip('/')}/proxy/{port}/status"


def _port_of(link):
    from urllib.parse import urlsplit
    try:
        return urlsplit(link).port
    except ValueError:
        return None


# --- memory of processes, bytes on disk ------------------------------------------------


def folder_bytes(folder):
    """Bytes in the files under `folder` (files that vanish while we look count as 0)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


class MemoryWatch:
    """Samples, every `interval` seconds until the `with` block ends, the resident memory
    (RSS) of the processes `pids` (summed) and the bytes stored under `folder`.

    After the block: `peak_rss`, `peak_disk` (bytes), and the samples `times`, `rss`, `disk`
    (seconds since the start, bytes) for plotting.
    """

    def __init__(self, pids, folder=None, interval=0.05):
        self.pids, self.folder, self.interval = list(pids), folder, interval
        self.times, self.rss, self.disk = [], [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        processes = []
        for pid in self.pids:
            try:
                processes.append(psutil.Process(pid))
            except psutil.Error:
                pass
        start = time.perf_counter()
        while True:
            rss = 0
            for process in processes:
                try:
                    rss += process.memory_info().rss
                except psutil.Error:
                    pass
            self.times.append(time.perf_counter() - start)
            self.rss.append(rss)
            self.disk.append(folder_bytes(self.folder) if self.folder else 0)
            if self._stop.wait(self.interval):
                break

    @property
    def peak_rss(self):
        return max(self.rss, default=0)

    @property
    def peak_disk(self):
        return max(self.disk, default=0)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False


# --- a real cluster on this machine ------------------------------------------------------


def _dask_command():
    """The `dask` command of this Python environment (next to the interpreter)."""
    beside = pathlib.Path(sys.executable).with_name("dask")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("dask")
    return [found] if found else [sys.executable, "-m", "dask"]


def _stop(process, timeout):
    """Terminate (SIGTERM lets Dask close cleanly), wait, and kill if it does not end."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class LoopbackCluster:
    """What `loopback_cluster` started: `address` (give it to Client or DASK_SCHEDULER_ADDRESS),
    `dashboard_link`, `commands` (the command lines it ran), `processes` (subprocess.Popen),
    and `log` (the path of the processes' shared log file)."""

    def __init__(self, address, dashboard_link, commands, processes, log):
        self.address, self.dashboard_link = address, dashboard_link
        self.commands, self.processes, self.log = commands, processes, log

    def log_tail(self, lines=15):
        try:
            return "\n".join(pathlib.Path(self.log).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _listens(process, port):
    """Whether `process` itself listens on TCP `port` (not just anyone on that port)."""
    try:
        return any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
                   for c in psutil.Process(process.pid).net_connections(kind="tcp"))
    except psutil.AccessDenied:  # some systems hide other processes' sockets: knock instead
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.2)
            return s.connect_ex((LOOPBACK, port)) == 0
    except psutil.Error:
        return False


def _wait_until_listening(port, processes, log, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"a Dask process stopped early (exit code {process.returncode}):\n"
                                   + pathlib.Path(log).read_text(errors="replace")[-2000:])
        if _listens(processes[0], port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"the Dask scheduler did not listen on port {port} within {timeout:.0f} s:\n"
                       + pathlib.Path(log).read_text(errors="replace")[-2000:])


@contextlib.contextmanager
def loopback_cluster(n_workers=2, nthreads=1, memory_limit="300MiB", directory=None,
                     dashboard=True, timeout=60, stop_timeout=10):
    """Start `dask scheduler` and `n_workers` `dask worker` processes on 127.0.0.1 (free
    ports), exactly as you would on the machines of a real cluster; yield a LoopbackCluster
    once the scheduler listens (the workers then join within seconds: wait for them with
    `client.wait_for_workers(n)`); on leaving the block, whatever happened in it, stop the
    workers, then the scheduler (SIGTERM, wait, SIGKILL after `stop_timeout` seconds).

    The workers run without a nanny (the process that would restart a crashed worker), which
    halves the number of processes. Their scratch space and the log go to `directory`
    (a temporary folder, removed afterwards, when None).
    """
    owned = directory is None
    folder = pathlib.Path(tempfile.mkdtemp(prefix="dask-loopback-") if owned else directory)
    dask = _dask_command()
    port, dashboard_port = free_port(), free_port()
    address = f"tcp://{LOOPBACK}:{port}"
    commands = [dask + ["scheduler", "--host", LOOPBACK, "--port", str(port)]
                + (["--dashboard-address", f"{LOOPBACK}:{dashboard_port}"] if dashboard else ["--no-dashboard"])]
    for i in range(n_workers):
        commands.append(dask + ["worker", address, "--name", f"worker-{i}", "--host", LOOPBACK,
                                "--nthreads", str(nthreads), "--memory-limit", str(memory_limit),
                                "--no-nanny", "--no-dashboard", "--local-directory", str(folder)])
    log_path = folder / "cluster.log"
    processes = []
    try:
        with open(log_path, "ab") as log:
            for command in commands:
                processes.append(subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                                  stderr=subprocess.STDOUT, cwd=folder))
                if len(processes) == 1:  # workers retry, but a scheduler that is up saves them time
                    _wait_until_listening(port, processes, log_path, timeout)
        link = f"http://{LOOPBACK}:{dashboard_port}/status" if dashboard else None
        yield LoopbackCluster(address, link, commands, processes, log_path)
    finally:
        workers, scheduler = processes[1:], processes[:1]
        for process in workers:  # all workers at once, then wait for each
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in workers + scheduler:  # the scheduler last, so workers can say goodbye
            _stop(process, stop_timeout)
        if owned:
            shutil.rmtree(folder, ignore_errors=True)


def command_line(command):
    """A command as you would type it: `dask worker ...` rather than /path/to/bin/dask worker ..."""
    words = list(command)
    if words and pathlib.Path(words[0]).name == "dask":
        words[0] = "dask"
    return " ".join(words)


# --- a task graph, drawn ------------------------------------------------------------------


def _label(key):
    from dask.utils import key_split

    name = key_split(key)  # 'inc-3df2d53a...' -> 'inc'
    if isinstance(key, tuple) and len(key) > 1:
        name += "\n" + ",".join(str(i) for i in key[1:])
    return name


def draw_task_graph(collection, ax=None, max_tasks=60):
    """Draw the task graph of a Dask collection: one box per task, arrows from each task to
    the tasks that need its result, layered from inputs (left) to the result (right)."""
    import matplotlib.pyplot as plt
    from dask.core import get_dependencies

    graph = dict(collection.__dask_graph__())
    if len(graph) > max_tasks:
        raise ValueError(f"{len(graph)} tasks are too many to draw; draw a smaller example")
    depth = {}

    def level(key):
        if key not in depth:
            deps = get_dependencies(graph, key)
            depth[key] = 1 + max((level(d) for d in deps), default=-1)
        return depth[key]

    for key in graph:
        level(key)
    columns = {}
    for key in sorted(graph, key=str):
        columns.setdefault(depth[key], []).append(key)
    position = {}
    for x, keys in columns.items():
        for i, key in enumerate(keys):
            position[key] = (x, (len(keys) - 1) / 2 - i)
    if ax is None:
        height = max(len(keys) for keys in columns.values())
        _, ax = plt.subplots(figsize=(2.2 * len(columns) + 1, 0.9 * height + 0.8))
    for key in graph:
        for dep in get_dependencies(graph, key):
            ax.annotate("", xy=position[key], xytext=position[dep],
                        arrowprops=dict(arrowstyle="->", color="grey", shrinkA=22, shrinkB=22))
    for key, (x, y) in position.items():
        ax.text(x, y, _label(key), ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round", facecolor="#dbe9f6", edgecolor="C0"))
    xs = [x for x, _ in position.values()]
    ys = [y for _, y in position.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    ax.axis("off")
    ax.set_title(f"{len(graph)} tasks; inputs on the left, the result on the right")
    return ax


# --- the dataframe section's data ------------------------------------------------------------


def write_sales(folder, days=30, rows_per_day=(8_000, 16_000), stores=40, extra_columns=16, seed=0):
    """Write one Parquet file per day (`day-00.parquet`, ...) into `folder`; return their paths.

    Columns: `day`, `store` (0 .. stores-1), `amount` (positive sales; refunds are negative,
    about 5% of rows) and `extra_columns` other measurements `m00`, `m01`, ... that a query
    about amounts does not need. The number of rows varies from day to day, and so does each
    store's share of them: a mean of daily means is not the mean.
    """
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    import pandas as pd

    rng = np.random.default_rng(seed)
    paths = []
    for day in range(days):
        n = int(rng.integers(rows_per_day[0], rows_per_day[1] + 1))
        weights = rng.uniform(0.2, 1.0, size=stores)
        store = rng.choice(stores, size=n, p=weights / weights.sum())
        amount = rng.gamma(2.0, 5.0 + 0.5 * store + 0.2 * day)
        refund = rng.random(n) < 0.05
        amount[refund] *= -1
        columns = {"day": np.full(n, day, dtype=np.int32), "store": store.astype(np.int32),
                   "amount": amount}
        columns.update({f"m{k:02d}": rng.standard_normal(n) for k in range(extra_columns)})
        path = folder / f"day-{day:02d}.parquet"
        pd.DataFrame(columns).to_parquet(path, index=False)
        paths.append(path)
    return paths


def parquet_reads(collection):
    """The Parquet reads of a lazy dask DataFrame/Series after optimisation: a list of
    (columns, npartitions) per read. Empty when it reads no Parquet (e.g. from_pandas)."""
    from dask._expr import Expr

    expr = collection.expr.optimize(fuse=False)
    found, seen, stack = [], set(), [expr]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node).__name__.startswith("ReadParquet"):
            found.append((list(node.columns), node.npartitions))
        stack.extend(op for op in node.operands if isinstance(op, Expr))
    return found
