"""Module 02: run `numba.cuda` on a real GPU when one works here, and on Numba's CUDA simulator
otherwise.

The choice has to be made before Numba is imported: Numba reads NUMBA_ENABLE_CUDASIM once, when
it starts, and `numba.cuda` then is either the real CUDA target or the simulator for the rest of
the process. So `choose_target()` runs in a notebook's first code cell. It never imports Numba
itself:

- no NVIDIA GPU (nvidia-smi finds none, as on Binder and in CI): it sets NUMBA_ENABLE_CUDASIM=1;
- a GPU is there: a short child process compiles and runs a one-line kernel with numba-cuda. Only
  if that works is the real GPU used; if it fails (most often because the CUDA toolkit libraries
  that numba-cuda needs, NVVM and the runtime, are not installed: `pip install "numba-cuda[cu13]"`
  for a CUDA 13 driver), the notebook falls back to the simulator and says why.

Setting NUMBA_ENABLE_CUDASIM=1 yourself before starting Jupyter forces the simulator. On a real
GPU it also turns off numba-cuda's low-occupancy warnings (NUMBA_CUDA_LOW_OCCUPANCY_WARNINGS=0):
the lessons launch small grids on purpose.
"""

import os
import subprocess
import sys
from dataclasses import dataclass

# Compiles and runs a kernel; prints nothing on success. Run in a child so that a broken CUDA
# installation cannot hang or crash the notebook's kernel, and its warnings stay out of it.
_PROBE = """
import numpy as np
from numba import cuda
if not cuda.is_available():
    raise SystemExit("numba.cuda.is_available() is False")
@cuda.jit
def fill(out):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = i
out = cuda.device_array(64, dtype=np.int64)
fill[2, 32](out)
if not (out.copy_to_host() == np.arange(64)).all():
    raise SystemExit("a test kernel ran but computed a wrong result")
"""


@dataclass(frozen=True)
class CudaTarget:
    """Where `numba.cuda` kernels will run in this process."""

    simulator: bool
    gpu: str | None      # the GPU's name, when one was found (used or not)
    reason: str          # one sentence: why this target

    def __str__(self):
        if self.simulator:
            return f"CUDA kernels run on Numba's CUDA simulator (in Python, on the CPU): {self.reason}"
        return f"CUDA kernels run on the GPU: {self.gpu}."


def _probe_gpu(timeout):
    """None when numba-cuda compiled and ran a kernel here, else a short reason."""
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_ENABLE_CUDASIM"}
    try:
        result = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                                timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return f"a test kernel did not finish within {timeout:.0f} s"
    except OSError as exc:
        return f"could not start Python to test the GPU ({exc})"
    if result.returncode == 0:
        return None
    lines = [line.strip() for line in (result.stderr or result.stdout).splitlines() if line.strip()]
    return lines[-1][:300] if lines else f"the test kernel exited with code {result.returncode}"


def choose_target(gpu_name, timeout=180.0):
    """Decide between the GPU and the simulator; call before anything imports Numba.

    gpu_name: the GPU that `scalinglab.machine.describe().gpu` reports (None when there is none).
    Sets NUMBA_ENABLE_CUDASIM=1 in this process when the simulator is chosen.
    """
    if "numba" in sys.modules:
        # Too late to choose: Numba has read its settings already. Report what it has.
        from numba.core import config

        simulated = bool(config.ENABLE_CUDASIM)
        return CudaTarget(simulated, gpu_name,
                          "Numba was already imported, so this kernel keeps the target it started "
                          "with (restart the kernel to choose again).")
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
        return CudaTarget(True, gpu_name, "NUMBA_ENABLE_CUDASIM is set in the environment.")
    if gpu_name is None:
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
        return CudaTarget(True, None, "this machine has no NVIDIA GPU (nvidia-smi found none).")
    problem = _probe_gpu(timeout)
    if problem is None:
        # The course launches deliberately small grids on small inputs; numba-cuda would warn
        # about each one on stderr (and nbgrader scores a test cell that writes to stderr 0).
        os.environ.setdefault("NUMBA_CUDA_LOW_OCCUPANCY_WARNINGS", "0")
        return CudaTarget(False, gpu_name, "a test kernel compiled and ran on it.")
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
    return CudaTarget(True, gpu_name,
                      f"a {gpu_name} is present, but numba-cuda could not run a kernel on it "
                      f"({problem}). Install the CUDA libraries it needs, e.g. "
                      "`pip install \"numba-cuda[cu13]\"` for a CUDA 13 driver, and restart the kernel.")
