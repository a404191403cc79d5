"""Module 05's child processes: Keras training at a chosen number of JAX devices, and a
two-process run started the way multi-host training starts.

A JAX process fixes its devices when JAX starts: `XLA_FLAGS=--xla_force_host_platform_device_count=N`
only counts if it is set before the import, so a notebook kernel cannot change its own device
count. The notebook therefore measures in fresh processes that this module starts:

    python -m scalinglab.keras_05 throughput --devices 4 --runs 1x512,2x512,4x512
    python -m scalinglab.keras_05 worker --coordinator 127.0.0.1:PORT --processes 2 --process-id 0

(their data are scikit-learn's digits, or the arrays x and y of an .npz file given by --data).

Each prints its report as one line of JSON on stdout. `measure_throughput` and
`run_two_processes` start them, enforce a timeout, always kill what they started, and keep the
children's logs (JAX and Keras write warnings to stderr) out of the notebook: they come back
only inside the error message when a child fails.

Importing this module imports neither JAX nor Keras, and it imports nothing from the rest of
the package at module level, so hidden tests can load it from its file.
"""

import argparse
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext

MODULE = "scalinglab.keras_05"
# The package folder's parent: children run with it as their working directory, so that
# `python -m scalinglab.keras_05` imports this very copy of the package.
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DEVICE_FLAG = "--xla_force_host_platform_device_count"

HIDDEN = 512     # width of the MLP's hidden layer in the measurements
STEPS = 20       # training steps per timed fit
REPEATS = 5      # timed fits per run (the best counts), interleaved across runs


# --------------------------------------------------------------------------------------
# The parent side: start children, read their JSON, clean up.
# --------------------------------------------------------------------------------------

def child_environment(devices, base=None):
    """The environment of a child that must see `devices` CPU devices, and use them even where
    JAX could use a GPU. Any device-count flag already in XLA_FLAGS is replaced; other XLA
    flags are kept."""
    env = dict(os.environ if base is None else base)
    flags = [flag for flag in env.get("XLA_FLAGS", "").split() if not flag.startswith(_DEVICE_FLAG)]
    env["XLA_FLAGS"] = " ".join(flags + [f"{_DEVICE_FLAG}={int(devices)}"])
    env["KERAS_BACKEND"] = "jax"
    env["JAX_PLATFORMS"] = "cpu"
    env["TF_CPP_MIN_LOG_LEVEL"] = "1"      # XLA's C++ log: warnings and errors (shown only if a child fails)
    env["PYTHONWARNINGS"] = "ignore"
    return env


def _kill(process):
    """SIGKILL the child's whole process group (it runs in its own session) and reap it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()


def _start(args, env, stdout=subprocess.PIPE, stderr=subprocess.PIPE):
    """`python -m scalinglab.keras_05 ARGS` in its own session (so that its whole group can be killed)."""
    return subprocess.Popen([sys.executable, "-m", MODULE, *args], cwd=_PACKAGE_PARENT, env=env,
                            stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                            text=True, start_new_session=True)


def _tail(text, lines=6):
    return "\n".join("    " + line for line in (text or "").strip().splitlines()[-lines:])


def release_free_memory():
    """Hand the memory this process has freed back to the operating system (glibc's malloc_trim).

    JAX's compiler frees much of what it allocates, and glibc keeps it for reuse: a notebook
    kernel that has compiled a few models holds tens of MB it does not use. Returning it
    before starting more JAX processes keeps the total within small machines (Binder gives
    2 GB). Does nothing where the C library is not glibc.
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _write_digits(folder):
    """The digits (scaled to 0..1) in an .npz file for the children, which skip scikit-learn."""
    import numpy as np

    from scalinglab.data import digits

    images, labels = digits()
    path = os.path.join(folder, "digits.npz")
    np.savez(path, x=(images / 16.0).astype(np.float32), y=labels.astype(np.int32))
    return path


def _report(stdout):
    """The child's JSON report: its last stdout line that holds a JSON object (Gloo, the CPU
    collectives library, prints progress lines to stdout too), or None."""
    for line in reversed((stdout or "").splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    return None


def check_runs(runs):
    """Validate (devices, global_batch) pairs; the global batch must divide by the devices.

    Keras shards every batch along the mesh's batch axis, so a batch of 250 rows cannot be
    split over 4 devices: better to say so here than after a child has started.
    """
    checked = []
    for run in runs:
        try:
            devices, batch = run
        except (TypeError, ValueError):
            raise ValueError(f"each run must be a (devices, global_batch) pair, got {run!r}") from None
        if not (float(devices).is_integer() and float(batch).is_integer()) or devices < 1 or batch < 1:
            raise ValueError(f"devices and global batch must be whole numbers >= 1, got {run!r}")
        devices, batch = int(devices), int(batch)
        if batch % devices:
            raise ValueError(
                f"a global batch of {batch} does not divide by {devices} devices: DataParallel gives "
                f"every device the same number of rows, so use a multiple of {devices} "
                f"(for example {batch - batch % devices or devices})")
        checked.append((devices, batch))
    if not checked:
        raise ValueError("no runs to measure")
    return checked


def measure_throughput(runs, hidden=HIDDEN, steps=STEPS, repeats=REPEATS, timeout=180):
    """Training throughput (samples per second) of each (devices, global_batch) run.

    One fresh child process with as many CPU devices as the largest run needs trains the
    module's MLP on the digits with `DataParallel` over the first `devices` of them (plain
    Keras for 1 device), `steps` steps per fit and `repeats` fits per run, interleaved across
    runs, and reports the best fit of each run. Returns the throughputs in the order of `runs`
    (a run given twice is measured once).
    """
    runs = check_runs(runs)
    unique = sorted(set(runs))
    most = max(devices for devices, _ in unique)
    release_free_memory()
    with tempfile.TemporaryDirectory(prefix="scalinglab-05-") as scratch:
        args = ["throughput", "--devices", str(most), "--data", _write_digits(scratch),
                "--runs", ",".join(f"{d}x{b}" for d, b in unique),
                "--hidden", str(hidden), "--steps", str(steps), "--repeats", str(repeats)]
        child = _start(args, child_environment(most))
        try:
            stdout, stderr = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"the measuring process did not finish within {timeout} s and was stopped") from None
        finally:
            _kill(child)
    report = _report(stdout) if child.returncode == 0 else None
    if report is None:
        raise RuntimeError(f"the measuring process failed (exit code {child.returncode}):\n{_tail(stderr)}")
    measured = {(run["devices"], run["global_batch"]): run["samples_per_second"] for run in report["runs"]}
    return [measured[run] for run in runs]


def free_port():
    """A TCP port that nobody uses right now, on any interface: JAX's coordinator listens on all
    of them ([::]), whatever address it is given."""
    family, anywhere = (socket.AF_INET6, "::") if socket.has_ipv6 else (socket.AF_INET, "0.0.0.0")
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((anywhere, 0))
            return probe.getsockname()[1]
    except OSError:          # IPv6 compiled in but switched off
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("0.0.0.0", 0))
            return probe.getsockname()[1]


def run_two_processes(local_devices=1, epochs=2, timeout=120, processes=2):
    """Train data-parallel across `processes` processes on this machine, as on several hosts.

    Process 0 is the coordinator on 127.0.0.1 at a free port; every process calls
    `keras.distribution.initialize` with its id, sees `local_devices` CPU devices of its own
    and the global devices of all, and trains on its own slice of the data. Returns their
    reports, sorted by process id. Raises RuntimeError (with each process's last log lines)
    if any fails or they do not all finish within `timeout` seconds; every process started
    is killed before this function returns, whatever happens.
    """
    release_free_memory()
    with tempfile.TemporaryDirectory(prefix="scalinglab-05-") as scratch:
        data = _write_digits(scratch)
        for attempt in (1, 2):
            failed, logs, codes = _run_processes(scratch, data, local_devices, epochs, timeout, processes)
            # Another program may take the port between our probe and the coordinator's start.
            port_taken = failed and any(sign in logs[0][1] for sign in _PORT_TAKEN)
            if not (port_taken and attempt == 1):
                break
    reports = [_report(stdout) for stdout, _ in logs]
    if failed is None and None in reports:
        failed = f"process {reports.index(None)} ended without its report"
    if failed is not None:
        raise RuntimeError(failed + "\n" + "\n".join(
            f"  process {i} (exit code {code}):\n{_tail(logs[i][1])}" for i, code in enumerate(codes)))
    return sorted(reports, key=lambda report: report["process_id"])


# What the coordinator (process 0) logs when its port is taken; it may exit with an error or crash.
_PORT_TAKEN = ("Failed to start RPC server", "Failed to add port")


def _run_processes(scratch, data, local_devices, epochs, timeout, processes):
    """Start the workers, wait for all (or the first failure, or the time-out), kill what is left.

    Returns (failure message or None, [(stdout, stderr)] per process, [exit code] per process).
    """
    coordinator = f"127.0.0.1:{free_port()}"
    env = child_environment(local_devices)
    children, failed = [], None
    try:
        for process_id in range(processes):
            args = ["worker", "--coordinator", coordinator, "--processes", str(processes), "--process-id",
                    str(process_id), "--local-devices", str(local_devices), "--epochs", str(epochs), "--data", data]
            # Logs go to files, not pipes: a process blocked on a full pipe would look like a hang.
            with open(os.path.join(scratch, f"{process_id}.out"), "w") as out, \
                    open(os.path.join(scratch, f"{process_id}.err"), "w") as err:
                children.append(_start(args, env, stdout=out, stderr=err))
        deadline = time.monotonic() + timeout
        while failed is None:
            codes = [child.poll() for child in children]
            if all(code == 0 for code in codes):
                break
            broken = [(i, code) for i, code in enumerate(codes) if code not in (None, 0)]
            if broken:   # the others would wait for it until JAX's own time-out: stop them now
                failed = f"process {broken[0][0]} failed with exit code {broken[0][1]}"
            elif time.monotonic() > deadline:
                failed = f"the {processes} processes did not finish within {timeout:g} s and were stopped"
                _dump_stacks(children)
            else:
                time.sleep(0.05)
    finally:
        for child in children:
            _kill(child)
    logs = [(_read(scratch, f"{i}.out"), _read(scratch, f"{i}.err")) for i in range(len(children))]
    return failed, logs, [child.returncode for child in children]


def _dump_stacks(children):
    """Ask stuck children to write their Python stacks to their logs (see `main`) before the kill."""
    for child in children:
        if child.poll() is None:
            try:
                os.kill(child.pid, signal.SIGUSR1)
            except ProcessLookupError:
                pass
    time.sleep(0.5)


def _read(folder, name):
    with open(os.path.join(folder, name)) as f:
        return f.read()


# --------------------------------------------------------------------------------------
# The child side: runs with JAX and Keras imported, in a process started above.
# --------------------------------------------------------------------------------------

# Keras imports these at start-up for features the children never use (scikit-learn wrappers,
# pandas and image adapters, plotting, notebook display, downloads, HDF5 files), and copes when
# they are missing. Leaving them out saves each child about 2 s of CPU time and 150 MB.
_NOT_NEEDED_BY_CHILDREN = ("sklearn", "pandas", "matplotlib", "IPython", "PIL", "requests", "h5py")


def _import_keras_lean():
    for name in _NOT_NEEDED_BY_CHILDREN:
        sys.modules.setdefault(name, None)   # `import name` now raises ImportError
    import keras

    return keras


def _load_digits(path=None):
    """Inputs and labels from an .npz file, or scikit-learn's digits (scaled to 0..1)."""
    import numpy as np

    if path is None:
        from scalinglab.data import digits

        images, labels = digits()
        return (images / 16.0).astype(np.float32), labels.astype(np.int32)
    with np.load(path) as arrays:
        return arrays["x"], arrays["y"]


def make_mlp(hidden=HIDDEN, seed=0, name="mlp"):
    """The module's MLP, 64 -> hidden (ReLU) -> 10 logits, layers named `hidden` and `logits`.

    Its weights are drawn with NumPy: JAX's random initialisers compile once per weight shape
    (about a second on a CPU), a cost a short-lived measuring process would pay every time.
    """
    import keras
    import numpy as np

    rng = np.random.default_rng(seed)

    class Glorot(keras.initializers.Initializer):
        def __call__(self, shape, dtype=None):
            limit = np.sqrt(6.0 / (shape[0] + shape[1]))
            return rng.uniform(-limit, limit, size=shape).astype("float32")

    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(hidden, activation="relu", kernel_initializer=Glorot(), name="hidden"),
        keras.layers.Dense(10, kernel_initializer=Glorot(), name="logits"),
    ], name=name)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _throughput_main(args):
    images, labels = _load_digits(args.data)
    keras = _import_keras_lean()
    import jax
    import numpy as np

    runs = [tuple(int(part) for part in run.split("x")) for run in args.runs.split(",")]
    devices = keras.distribution.list_devices()
    if len(devices) < args.devices:
        raise SystemExit(f"asked for {args.devices} devices, JAX sees {len(devices)}: {devices}")
    trials = []
    for n, batch in runs:
        # One device is the baseline: plain Keras, no distribution (and no sharding overhead).
        scope = keras.distribution.DataParallel(devices=devices[:n]).scope if n > 1 else nullcontext
        rows = np.arange(args.steps * batch) % len(images)   # every batch full, the last one too
        with scope():
            model = make_mlp(args.hidden)
            model.fit(images[rows[:batch]], labels[rows[:batch]], batch_size=batch, verbose=0)  # compiles
        trials.append((scope, model, images[rows], labels[rows], batch, []))
    for _ in range(args.repeats):   # interleaved: drift in the machine's load hits every run alike
        for scope, model, x, y, batch, seconds in trials:
            with scope():
                start = time.perf_counter()
                model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
                seconds.append(time.perf_counter() - start)
    report = {"platform": jax.devices()[0].platform, "devices_in_process": len(devices), "runs": [
        {"devices": n, "global_batch": batch, "samples_per_second": args.steps * batch / min(seconds),
         "seconds_per_step": min(seconds) / args.steps}
        for (n, batch), (*_, seconds) in zip(runs, trials)]}
    print(json.dumps(report))


def _worker_main(args):
    images, labels = _load_digits(args.data)
    keras = _import_keras_lean()
    import jax
    import numpy as np

    keras.distribution.initialize(job_addresses=args.coordinator, num_processes=args.processes,
                                  process_id=args.process_id)
    devices = keras.distribution.list_devices()          # the global devices, of every process
    # Each process slices the data itself below: Keras must not shard it again (it can only
    # do that for a tf.data.Dataset).
    keras.distribution.set_distribution(
        keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False))
    model = make_mlp(hidden=64, seed=0)

    global_batch = 32 * len(devices)
    per_process = global_batch // args.processes          # each process feeds its share of a batch
    rows = len(images) // global_batch * global_batch     # whole batches only, the last one too
    mine = np.arange(rows).reshape(-1, args.processes, per_process)[:, args.process_id].ravel()
    history = model.fit(images[mine], labels[mine], batch_size=per_process, epochs=args.epochs,
                        shuffle=False, verbose=0)
    # Variables are replicated over all devices: this process holds its own copies of them.
    weights = [np.asarray(v.value.addressable_data(0)) for v in model.trainable_variables]
    report = {
        "process_id": jax.process_index(), "processes": jax.process_count(),
        "local_devices": [str(d) for d in jax.local_devices()], "global_devices": jax.device_count(),
        "global_batch": global_batch, "rows_trained_here": int(len(mine)), "first_row": int(mine[0]),
        "loss": [float(v) for v in history.history["loss"]],
        "weights_checksum": float(sum(np.abs(w).sum(dtype=np.float64) for w in weights)),
    }
    jax.distributed.shutdown()
    print(json.dumps(report))


def main(argv=None):
    import faulthandler

    faulthandler.register(signal.SIGUSR1, all_threads=True)   # a parent that times out asks where we are
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    throughput = commands.add_parser("throughput", help="samples/s of DataParallel training")
    throughput.add_argument("--devices", type=int, required=True, help="CPU devices this process sees")
    throughput.add_argument("--runs", required=True, help="comma-separated DEVICESxGLOBAL_BATCH, e.g. 1x512,4x512")
    throughput.add_argument("--data", help=".npz file with inputs x and labels y (default: the digits)")
    throughput.add_argument("--hidden", type=int, default=HIDDEN)
    throughput.add_argument("--steps", type=int, default=STEPS)
    throughput.add_argument("--repeats", type=int, default=REPEATS)
    worker = commands.add_parser("worker", help="one process of a multi-process data-parallel run")
    worker.add_argument("--coordinator", required=True, help="HOST:PORT of process 0")
    worker.add_argument("--processes", type=int, required=True)
    worker.add_argument("--process-id", type=int, required=True)
    worker.add_argument("--local-devices", type=int, default=1, help="CPU devices of this process")
    worker.add_argument("--epochs", type=int, default=2)
    worker.add_argument("--data", help=".npz file with inputs x and labels y (default: the digits)")
    args = parser.parse_args(argv)
    # JAX is not imported yet: the device count can still be chosen (a parent sets it too).
    os.environ.update(child_environment(args.devices if args.command == "throughput" else args.local_devices))
    (_throughput_main if args.command == "throughput" else _worker_main)(args)


if __name__ == "__main__":
    main()
