"""Module 02 on a real GPU (not part of CI or `make bench`): achieved memory bandwidth of the saxpy
kernel against a device-to-device copy, and the k-means assignment kernel against parallel Numba
on the CPU.

    python bench/gpu_02_numba.py               # needs an NVIDIA GPU that numba-cuda can use
    python bench/gpu_02_numba.py --simulator   # runs the same code on the CUDA simulator, tiny sizes

numba-cuda needs the CUDA libraries (NVVM, NVRTC, the runtime) beside the driver; with the
course's pins (cuda-bindings 13) install them with `pip install "numba-cuda[cu13]==0.30.4"` on a
machine whose driver supports CUDA 13 (see autograder/calibration/02-numba.md).

Bandwidth counts the bytes each operation must move: saxpy reads x and y and writes out (3 arrays),
a copy reads one array and writes one (2 arrays). Times are the best of several launches, taken
with CUDA events on the GPU's clock.
"""

import argparse
import os
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulator", action="store_true", help="run on the CUDA simulator (tiny sizes)")
    parser.add_argument("--mib", type=int, default=256, help="MiB per float32 array for the bandwidth test")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)

    from scalinglab import cuda_02, machine

    if args.simulator:
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
    me = machine.describe()
    target = cuda_02.choose_target(me.gpu)
    print(me, "\n")
    print(target, "\n")
    if target.simulator and not args.simulator:
        print("No usable GPU: nothing to measure. (--simulator runs the code on the simulator.)")
        return 1

    # Module globals, not locals of main(): the simulator swaps its own `cuda` module into a
    # kernel's globals, which it cannot do for a closure variable.
    global numba, np, cuda
    import numba
    import numpy as np
    from numba import cuda

    @cuda.jit
    def saxpy(a, x, y, out):
        start, stride = cuda.grid(1), cuda.gridsize(1)
        for i in range(start, x.size, stride):
            out[i] = a * x[i] + y[i]

    @cuda.jit
    def assign_kernel(X, centroids, labels, distances):
        i = cuda.grid(1)
        if i < X.shape[0]:
            best, best_j = np.inf, 0
            for j in range(centroids.shape[0]):
                distance = 0.0
                for f in range(X.shape[1]):
                    diff = X[i, f] - centroids[j, f]
                    distance += diff * diff
                if distance < best:
                    best, best_j = distance, j
            labels[i] = best_j
            distances[i] = best

    from bench_02_numba import assign_parallel  # the CPU reference, as `make bench` times it

    def gpu_seconds(launch, repeats):
        launch()
        cuda.synchronize()
        best = float("inf")
        for _ in range(repeats):
            start, end = cuda.event(), cuda.event()
            start.record()
            launch()
            end.record()
            end.synchronize()
            best = min(best, start.elapsed_time(end) / 1e3)
        return best

    simulated = target.simulator
    n = 4_096 if simulated else args.mib * 2**20 // 4
    repeats = 1 if simulated else args.repeats
    blocks = 8 if simulated else 4 * cuda.get_current_device().MULTIPROCESSOR_COUNT
    x = np.random.default_rng(0).random(n, dtype=np.float32)
    y = np.ones(n, dtype=np.float32)
    d_x, d_y, d_out = cuda.to_device(x), cuda.to_device(y), cuda.device_array(n, dtype=np.float32)
    saxpy[blocks, 256](np.float32(2.0), d_x, d_y, d_out)
    assert np.allclose(d_out.copy_to_host(), 2 * x + y), "saxpy computed a wrong result"

    if simulated:
        print(f"saxpy on {n:,} elements: correct (simulated: no bandwidth to report)")
    else:
        kernel = gpu_seconds(lambda: saxpy[blocks, 256](np.float32(2.0), d_x, d_y, d_out), repeats)
        copy = gpu_seconds(lambda: d_out.copy_to_device(d_x), repeats)
        kernel_gbs, copy_gbs = 3 * x.nbytes / kernel / 1e9, 2 * x.nbytes / copy / 1e9
        print(f"saxpy, {n:,} float32 ({x.nbytes / 2**20:.0f} MiB per array), {blocks} blocks x 256 threads:")
        print(f"  kernel                 {kernel * 1e3:8.3f} ms  {kernel_gbs:8,.0f} GB/s")
        print(f"  device-to-device copy  {copy * 1e3:8.3f} ms  {copy_gbs:8,.0f} GB/s")
        print(f"  kernel / copy          {kernel_gbs / copy_gbs:8.0%}")
        start = time.perf_counter()
        cuda.to_device(x)
        cuda.synchronize()
        h2d = time.perf_counter() - start
        print(f"  host-to-device copy of x: {x.nbytes / h2d / 1e9:,.1f} GB/s (pageable memory, wall clock)")
    del d_x, d_y, d_out

    rows = 1_000 if simulated else 4_000_000
    rng = np.random.default_rng(1)
    X, C = rng.normal(size=(rows, 8)), rng.normal(size=(8, 8))
    d_X, d_C = cuda.to_device(X), cuda.to_device(C)
    d_labels, d_distances = cuda.device_array(rows, dtype=np.int64), cuda.device_array(rows)
    threads_per_block = 128
    grid = (rows + threads_per_block - 1) // threads_per_block
    assign_kernel[grid, threads_per_block](d_X, d_C, d_labels, d_distances)
    labels, inertia = assign_parallel(X, C)
    assert np.array_equal(d_labels.copy_to_host(), labels), "the GPU labels differ from the CPU's"
    assert np.isclose(d_distances.copy_to_host().sum(), inertia), "the GPU inertia differs from the CPU's"
    if simulated:
        print(f"assign_kernel on {rows:,} points: correct (simulated)")
        return 0
    gpu = gpu_seconds(lambda: assign_kernel[grid, threads_per_block](d_X, d_C, d_labels, d_distances), repeats)
    cpu = min(_timed(assign_parallel, X, C) for _ in range(5))
    moved = X.nbytes + d_labels.nbytes + d_distances.nbytes
    print(f"k-means assignment, {rows:,} points x 8 dims, 8 centroids:")
    print(f"  GPU kernel             {gpu * 1e3:8.3f} ms  {moved / gpu / 1e9:8,.0f} GB/s of X, labels and distances")
    print(f"  CPU prange ({numba.get_num_threads()} threads)  {cpu * 1e3:8.3f} ms  ({cpu / gpu:.0f}x the GPU's time)")
    return 0


def _timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
