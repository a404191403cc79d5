"""Module 05's child processes: Keras training at a chosen number of JAX devices, and a
two-process run started the way multi-host training starts.

A JAX process fixes its devices when JAX starts: `XLA_FLAGS=--xla_force_host_platform_device_count=N`
only counts if it is set before the import, so a notebook kernel cannot change its own device
count. The notebook therefore measures in fresh processes that this module starts:

    python -m scalinglab.keras_05 throughput --devices 4 --runs 1x512,2x512,4x512
    python -m scalinglab.keras_05 worker --coordinator 127.0.0.1:PORT --processes 2 --process-id 0

Each prints one JSON object as its last line on stdout. `measure_throughput` and
`run_two_processes` start them, enforce a timeout, always kill what they started, and keep the
children's logs (JAX and Keras write warnings to stderr) out of the notebook: they come back
only inside the error message when a child fails.

Importing this module imports neither JAX nor Keras, and it imports nothing from the rest of
the package at module level, so hidden tests can load it from its file.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import nullcontext

MODULE = "scalinglab.keras_05"
# The package folder's parent: children run with it as their working directory, so that
# `python -m scalinglab.keras_05` imports this very copy of the package.
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DEVICE_FLAG = "--xla_force_host_platform_device_count"

HIDDEN = 512     # width of the MLP's hidden layer in the measurements
STEPS = 20       # training steps per timed fit
REPEATS = 3      # timed fits per run (the best counts), interleaved across runs


# --------------------------------------------------------------------------------------
# The parent side: start children, read their JSON, clean up.
# --------------------------------------------------------------------------------------

def child_environment(devices, platform="cpu", base=None):
    """The environment of a child that must see `devices` CPU devices (JAX on `platform`).

    Any device-count flag already in XLA_FLAGS is replaced; other XLA flags are kept.
    """
    env = dict(os.environ if base is None else base)
    flags = [flag for flag in env.get("XLA_FLAGS", "").split() if not flag.startswith(_DEVICE_FLAG)]
    env["XLA_FLAGS"] = " ".join(flags + [f"{_DEVICE_FLAG}={int(devices)}"])
    env["KERAS_BACKEND"] = "jax"
    env["JAX_PLATFORMS"] = platform
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"      # XLA's C++ logging: errors only
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


def _start(args, env):
    return subprocess.Popen([sys.executable, "-m", MODULE, *args], cwd=_PACKAGE_PARENT, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _tail(text, lines=6):
    return "\n".join("    " + line for line in (text or "").strip().splitlines()[-lines:])


def _report(stdout):
    """The JSON object on the child's last stdout line."""
    lines = (stdout or "").strip().splitlines()
    return json.loads(lines[-1]) if lines else None


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


def measure_throughput(runs, hidden=HIDDEN, steps=STEPS, repeats=REPEATS, timeout=180, platform="cpu"):
    """Training throughput (samples per second) of each (devices, global_batch) run.

    One fresh child process with as many CPU devices as the largest run needs trains the
    module's MLP with `DataParallel` over the first `devices` of them, `steps` steps per fit,
    `repeats` fits per run interleaved across runs, and reports the best fit of each run.
    Returns the throughputs in the order of `runs`.
    """
    runs = check_runs(runs)
    most = max(devices for devices, _ in runs)
    args = ["throughput", "--devices", str(most), "--runs", ",".join(f"{d}x{b}" for d, b in runs),
            "--hidden", str(hidden), "--steps", str(steps), "--repeats", str(repeats)]
    child = _start(args, child_environment(most, platform))
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(child)
        raise RuntimeError(f"the measuring process did not finish within {timeout} s and was stopped") from None
    finally:
        _kill(child)
    report = _report(stdout) if child.returncode == 0 else None
    if report is None:
        raise RuntimeError(f"the measuring process failed (exit code {child.returncode}):\n{_tail(stderr)}")
    return [run["samples_per_second"] for run in report["runs"]]


def free_port():
    """A TCP port on the loopback interface that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_two_processes(local_devices=2, epochs=2, timeout=120, processes=2):
    """Train data-parallel across `processes` processes on this machine, as on several hosts.

    Process 0 is the coordinator on 127.0.0.1 at a free port; every process calls
    `keras.distribution.initialize` with its id, sees `local_devices` CPU devices of its own
    and the global devices of all, and trains on its own slice of the data. Returns their
    reports, sorted by process id. Raises RuntimeError (with each process's last log lines)
    if any fails or they do not all finish within `timeout` seconds; every process started
    is killed before this function returns, whatever happens.
    """
    coordinator = f"127.0.0.1:{free_port()}"
    env = child_environment(local_devices)
    children = []
    try:
        for process_id in range(processes):
            children.append(_start(["worker", "--coordinator", coordinator, "--processes", str(processes),
                                    "--process-id", str(process_id), "--epochs", str(epochs)], env))
        deadline = time.monotonic() + timeout
        outputs, failed = {}, False
        for process_id, child in enumerate(children):
            try:
                outputs[process_id] = child.communicate(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                failed = f"the {processes} processes did not finish within {timeout} s and were stopped"
                break
            if child.returncode != 0:
                failed = f"process {process_id} failed with exit code {child.returncode}"
                break
    finally:
        for child in children:
            _kill(child)
    if failed:
        logs = []
        for process_id, child in enumerate(children):
            stderr = outputs[process_id][1] if process_id in outputs else child.communicate()[1]
            logs.append(f"  process {process_id} (exit code {child.returncode}):\n{_tail(stderr)}")
        raise RuntimeError(failed + "\n" + "\n".join(logs))
    return sorted((_report(stdout) for stdout, _ in outputs.values()), key=lambda r: r["process_id"])


# --------------------------------------------------------------------------------------
# The child side: runs with JAX and Keras imported, in a process started above.
# --------------------------------------------------------------------------------------

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


def _digits():
    import numpy as np

    from scalinglab.data import digits

    images, labels = digits()
    return (images / 16.0).astype(np.float32), labels.astype(np.int32)


def _throughput_main(args):
    import jax
    import keras
    import numpy as np

    runs = [tuple(int(part) for part in run.split("x")) for run in args.runs.split(",")]
    devices = keras.distribution.list_devices()
    if len(devices) < args.devices:
        raise SystemExit(f"asked for {args.devices} devices, JAX sees {len(devices)}: {devices}")
    images, labels = _digits()
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
    import jax
    import keras
    import numpy as np

    keras.distribution.initialize(job_addresses=args.coordinator, num_processes=args.processes,
                                  process_id=args.process_id)
    devices = keras.distribution.list_devices()          # the global devices, of every process
    # Each process slices the data itself below: Keras must not shard it again (it can only
    # do that for a tf.data.Dataset).
    keras.distribution.set_distribution(
        keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False))
    model = make_mlp(hidden=64, seed=0)

    images, labels = _digits()
    global_batch = 16 * len(devices)
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
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    throughput = commands.add_parser("throughput", help="samples/s of DataParallel training")
    throughput.add_argument("--devices", type=int, required=True, help="CPU devices this process sees")
    throughput.add_argument("--runs", required=True, help="comma-separated DEVICESxGLOBAL_BATCH, e.g. 1x512,4x512")
    throughput.add_argument("--hidden", type=int, default=HIDDEN)
    throughput.add_argument("--steps", type=int, default=STEPS)
    throughput.add_argument("--repeats", type=int, default=REPEATS)
    worker = commands.add_parser("worker", help="one process of a multi-process data-parallel run")
    worker.add_argument("--coordinator", required=True, help="HOST:PORT of process 0")
    worker.add_argument("--processes", type=int, required=True)
    worker.add_argument("--process-id", type=int, required=True)
    worker.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args(argv)
    (_throughput_main if args.command == "throughput" else _worker_main)(args)


if __name__ == "__main__":
    main()
