"""Module 05's child processes: environment, run checks, throughput JSON, and the two-process run
(two real JAX processes on loopback, coordinated by keras.distribution.initialize)."""

import json
import socket
import subprocess
import sys
import time

import psutil
import pytest

from scalinglab import keras_05


def _ours(process):
    """Is this a process that keras_05 started (other tests may leave worker pools running)?"""
    try:
        return keras_05.MODULE in " ".join(process.cmdline()) and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:   # it ended while we looked
        return False


def _no_children_left():
    """No process started by keras_05 is left (a killed one may take a moment to go)."""
    for _ in range(50):
        if not any(_ours(p) for p in psutil.Process().children(recursive=True)):
            return True
        time.sleep(0.1)
    return False


def test_child_environment_replaces_only_the_device_count():
    base = {"XLA_FLAGS": "--xla_cpu_enable_fast_math=false --xla_force_host_platform_device_count=8",
            "KERAS_BACKEND": "tensorflow", "PATH": "/bin"}
    env = keras_05.child_environment(3, base=base)
    assert env["XLA_FLAGS"].split() == ["--xla_cpu_enable_fast_math=false",
                                        "--xla_force_host_platform_device_count=3"]
    assert env["KERAS_BACKEND"] == "jax" and env["JAX_PLATFORMS"] == "cpu" and env["PATH"] == "/bin"
    assert base["XLA_FLAGS"].endswith("=8"), "the caller's environment is not modified"
    assert keras_05.child_environment(2, base={})["XLA_FLAGS"] == "--xla_force_host_platform_device_count=2"


def test_runs_must_divide_by_their_devices():
    assert keras_05.check_runs([(1, 250), (2, 512.0)]) == [(1, 250), (2, 512)]
    with pytest.raises(ValueError, match="250 does not divide by 4 devices"):
        keras_05.check_runs([(1, 250), (4, 250)])
    for bad in ([], [(0, 64)], [(2, 64.5)], [(2,)], [3]):
        with pytest.raises(ValueError):
            keras_05.check_runs(bad)


def test_importing_the_module_imports_neither_jax_nor_keras():
    code = "import sys, scalinglab.keras_05; print(json.dumps(sorted(m for m in ('jax', 'keras') if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True,
                         cwd=keras_05._PACKAGE_PARENT, check=True)
    assert json.loads(out.stdout) == []


def test_measure_throughput_returns_one_number_per_run_in_order():
    runs = [(2, 64), (1, 64), (2, 64)]
    measured = keras_05.measure_throughput(runs, hidden=32, steps=2, repeats=1, timeout=120)
    assert len(measured) == 3 and measured[0] == measured[2], "a repeated run is measured once"
    assert all(isinstance(x, float) and x > 0 for x in measured)
    assert _no_children_left()


def test_two_processes_train_as_one(monkeypatch):
    # The first port offered is already taken (another program got it after the probe): the
    # coordinator cannot start there, and the run is retried once on a fresh port.
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    ports = [taken.getsockname()[1]]
    real_free_port = keras_05.free_port
    monkeypatch.setattr(keras_05, "free_port", lambda: ports.pop() if ports else real_free_port())
    with taken:
        reports = keras_05.run_two_processes(local_devices=1, epochs=2, timeout=120)
    assert not ports, "the taken port was offered first"
    assert [r["process_id"] for r in reports] == [0, 1]
    for report in reports:
        assert report["processes"] == 2 and report["global_devices"] == 2 and len(report["local_devices"]) == 1
        assert len(report["loss"]) == 2 and report["loss"][1] < report["loss"][0], "training lowers the loss"
    first, second = reports
    assert set(first["local_devices"]).isdisjoint(second["local_devices"]), "each process has its own devices"
    assert first["first_row"] != second["first_row"], "each process feeds its own rows"
    assert first["rows_trained_here"] == second["rows_trained_here"]
    # Different rows but identical weights: the gradients were averaged across the processes.
    assert first["loss"] == pytest.approx(second["loss"], rel=1e-6)
    assert first["weights_checksum"] == pytest.approx(second["weights_checksum"], rel=1e-6)
    assert _no_children_left()


def test_two_processes_are_killed_on_timeout():
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="did not finish within 1 s") as failure:
        keras_05.run_two_processes(timeout=1)
    assert time.monotonic() - started < 30
    assert "process 0" in str(failure.value) and "process 1" in str(failure.value), "both logs are reported"
    assert _no_children_left(), "both processes are killed when the run times out"


def test_a_failing_process_is_reported_and_the_other_killed(monkeypatch):
    # Process 1 gets a broken command line and exits at once, while process 0 would wait for it in
    # jax.distributed.initialize for minutes: the call must fail fast and stop process 0.
    real_start = keras_05._start

    def start(args, env, **streams):
        if args[0] == "worker" and args[args.index("--process-id") + 1] == "1":
            args = [*args]
            args[args.index("--processes") + 1] = "x"   # not a number: argparse exits with code 2
        return real_start(args, env, **streams)

    monkeypatch.setattr(keras_05, "_start", start)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="process 1 failed with exit code 2") as failure:
        keras_05.run_two_processes(timeout=60)
    assert time.monotonic() - started < 30, "a failed process stops the run at once, not at the time-out"
    assert "invalid int value" in str(failure.value), "the failing process's own error is shown"
    assert _no_children_left()
