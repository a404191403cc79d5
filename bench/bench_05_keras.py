"""Module 05: Keras DataParallel throughput on 1, 2 and 4 virtual CPU devices (strong and weak
scaling), the same runs in one process per device count, the grader's re-measurement, and the
two-process run on loopback."""

import time

from scalinglab import keras_05, machine

COUNTS = (1, 2, 4)
GLOBAL_BATCH, PER_DEVICE_BATCH = 512, 128   # the solution notebook's choices
SAMPLES = 10_000                            # strong-scaling rows: the time to train on this many


def run(table):
    cores = machine.describe().effective_cores
    strong = [(n, GLOBAL_BATCH) for n in COUNTS]
    weak = [(n, PER_DEVICE_BATCH * n) for n in COUNTS]
    measured = keras_05.measure_throughput(strong + weak)   # one child process, as the notebook does
    strong_x, weak_x = measured[: len(COUNTS)], measured[len(COUNTS):]

    workload = f"Keras MLP, global batch {GLOBAL_BATCH} (strong)"
    for n, x in zip(COUNTS, strong_x):
        table.add(workload, f"{n} virtual device(s), one process", SAMPLES / x,
                  baseline=None if n == 1 else SAMPLES / strong_x[0],
                  limit=f"{x:,.0f} samples/s; efficiency {x / strong_x[0] / n:.0%} ({cores} cores)")

    # The notebook measures every count in one child with 4 devices; here each count gets its own
    # process with exactly that many devices, to show the two ways agree.
    for n in COUNTS:
        x = keras_05.measure_throughput([(n, GLOBAL_BATCH)])[0]
        table.add(workload, f"{n} virtual device(s), own process", SAMPLES / x, baseline=SAMPLES / strong_x[0],
                  limit=f"{x:,.0f} samples/s; {x / strong_x[COUNTS.index(n)]:.2f}x the one-process number")

    workload = f"Keras MLP, {PER_DEVICE_BATCH} rows per device (weak)"
    for n, x in zip(COUNTS, weak_x):
        table.note(workload, f"{n} virtual device(s)", f"{x:,.0f} samples/s",
                   limit=f"scaled speedup {x / weak_x[0]:.2f}, efficiency {x / weak_x[0] / n:.0%}")

    grader = keras_05.measure_throughput([(1, GLOBAL_BATCH), (COUNTS[-1], GLOBAL_BATCH)])
    table.note("grader's re-measurement (own process)", f"1 and {COUNTS[-1]} devices",
               f"{grader[0] / strong_x[0]:.2f}x, {grader[1] / strong_x[-1]:.2f}x",
               limit="of the first measurement; accepted within 5x")

    started = time.monotonic()
    reports = keras_05.run_two_processes(local_devices=1)
    agree = reports[0]["weights_checksum"] == reports[1]["weights_checksum"]
    table.add("keras.distribution.initialize, 2 processes on loopback", "2 processes x 1 CPU device, 2 epochs",
              time.monotonic() - started, limit=f"start to finish; weights agree: {agree}")
