"""What this kernel really has: shown at the top of every notebook.

Speedups only mean something next to the machine that produced them. The host may have
64 CPUs while a Binder container may use 1; BLAS may already run on several threads; a GPU
may or may not be there. `describe()` gathers those facts once, and `worker_counts()` turns
them into the worker counts a notebook should try.
"""

import html
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass

import psutil
import threadpoolctl

from . import timing


@dataclass(frozen=True)
class Machine:
    effective_cores: int
    logical_cores: int
    physical_cores: int | None
    cpu_quota: float | None
    memory_gb: float
    blas: tuple[str, ...]
    gpu: str | None
    python: str

    @property
    def note(self):
        """A warning sentence when the host has more CPUs than this process may use."""
        if self.effective_cores < self.logical_cores:
            return (f"This process may use only {self.effective_cores} of the "
                    f"{self.logical_cores} CPUs the host has: problem sizes and worker "
                    f"counts follow {self.effective_cores}.")
        return None

    def _rows(self):
        physical = "?" if self.physical_cores is None else self.physical_cores
        quota = "none" if self.cpu_quota is None else f"{self.cpu_quota:g} CPUs"
        return [
            ("effective cores", f"{self.effective_cores} (of {self.logical_cores} logical, "
                                f"{physical} physical; quota {quota})"),
            ("memory", f"{self.memory_gb:.1f} GB"),
            ("BLAS / OpenMP", "; ".join(self.blas) or "none loaded"),
            ("GPU", self.gpu or "none"),
            ("Python", self.python),
        ]

    def __str__(self):
        lines = [f"{name:<17} {value}" for name, value in self._rows()]
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    def _repr_html_(self):
        cell = 'style="text-align:left; padding:1px 8px"'
        rows = "".join(f"<tr><th {cell}>{html.escape(name)}</th>"
                       f"<td {cell}>{html.escape(value)}</td></tr>"
                       for name, value in self._rows())
        note = f"<p><b>Note:</b> {html.escape(self.note)}</p>" if self.note else ""
        return f'<table style="font-size:smaller">{rows}</table>{note}'


def _blas_pools():
    """One short line per thread pool (BLAS and OpenMP) loaded in this process."""
    try:
        import numpy  # noqa: F401  (loads the BLAS that every lesson uses, so it shows up)
    except ImportError:
        pass
    try:
        pools = threadpoolctl.threadpool_info()
    except Exception:       # a description must never stop a notebook
        return ()
    lines = []
    for pool in pools:
        name = pool.get("internal_api") or pool.get("user_api") or "?"
        version = pool.get("version")
        threads = pool.get("num_threads")
        label = f"{name} {version}" if version else name
        plural = "" if threads == 1 else "s"
        lines.append(f"{label}, {threads} thread{plural}")
    return tuple(lines)


def _gpu_name():
    """The NVIDIA GPU as `nvidia-smi -L` names it, or None; never imports numba or jax."""
    executable = shutil.which("nvidia-smi")
    if executable is None:
        return None
    try:
        result = subprocess.run([executable, "-L"], capture_output=True, text=True,
                                timeout=5)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if result.returncode != 0:
        return None
    # Lines look like "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)".
    names = [line.split(":", 1)[1].split("(UUID")[0].strip()
             for line in result.stdout.splitlines()
             if line.startswith("GPU ") and ":" in line]
    names = [name for name in names if name]
    if not names:
        return None
    if len(names) > 1 and len(set(names)) == 1:
        return f"{len(names)} x {names[0]}"
    return ", ".join(names)


def describe():
    """Gather the facts about this kernel's machine (see `Machine`)."""
    effective = timing.effective_cpu_count()
    return Machine(
        effective_cores=effective,
        logical_cores=os.cpu_count() or effective,
        physical_cores=psutil.cpu_count(logical=False),
        cpu_quota=timing.cpu_quota(),
        memory_gb=psutil.virtual_memory().total / 1e9,
        blas=_blas_pools(),
        gpu=_gpu_name(),
        python=platform.python_version(),
    )


def worker_counts(max_workers=None):
    """Worker counts worth trying: 1, 2, 4, ... and always the effective core count itself.

    max_workers caps the list further (never above the effective cores: more busy workers
    than CPUs only measure overhead). 1 core gives [1]; 6 cores give [1, 2, 4, 6].
    """
    cores = timing.effective_cpu_count()
    if max_workers is not None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        cores = min(cores, max_workers)
    counts, n = [], 1
    while n < cores:
        counts.append(n)
        n *= 2
    return counts + [cores]
