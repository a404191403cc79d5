"""Unit tests for scalinglab.machine: the facts shown at the top of every notebook."""

import os
import platform
import subprocess
import sys

import pytest
import threadpoolctl

from scalinglab import machine, timing
from scalinglab.machine import Machine, describe, worker_counts


def make(**changes):
    facts = dict(effective_cores=2, logical_cores=2, physical_cores=1, cpu_quota=None,
                 memory_gb=7.5, blas=("openblas 0.3.30, 2 threads",), gpu=None,
                 python="3.11.9")
    facts.update(changes)
    return Machine(**facts)


def test_describe_gives_sane_values_on_this_machine():
    m = describe()
    assert 1 <= m.effective_cores <= m.logical_cores
    assert m.logical_cores == os.cpu_count()
    assert m.physical_cores is None or 1 <= m.physical_cores <= m.logical_cores
    assert m.cpu_quota is None or m.cpu_quota > 0
    assert m.memory_gb > 0.1
    assert isinstance(m.blas, tuple) and all(isinstance(line, str) for line in m.blas)
    assert m.gpu is None or isinstance(m.gpu, str)
    assert m.python == platform.python_version()
    assert f"effective cores   {m.effective_cores} (of {m.logical_cores} logical" in str(m)
    assert "<td " in m._repr_html_() and str(m.effective_cores) in m._repr_html_()


def test_describe_does_not_import_gpu_frameworks():
    code = ("import sys; from scalinglab import machine; machine.describe(); "
            "print(sorted(m for m in ('numba', 'jax') if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120, check=True)
    assert out.stdout.strip() == "[]"


def test_str_has_aligned_lines_and_no_note_when_all_cores_are_usable():
    text = str(make())
    lines = text.splitlines()
    assert lines[0] == "effective cores   2 (of 2 logical, 1 physical; quota none)"
    assert lines[1] == "memory            7.5 GB"
    assert "openblas 0.3.30, 2 threads" in text and "GPU               none" in text
    assert "may use only" not in text
    assert make().note is None


def test_note_when_the_process_may_use_fewer_cores_than_the_host_has():
    m = make(effective_cores=2, logical_cores=16, physical_cores=None, cpu_quota=1.5,
             gpu="NVIDIA H100 80GB HBM3")
    expected = ("may use only 2 of the 16 CPUs the host has: problem sizes and worker "
                "counts follow 2")
    assert expected in m.note
    assert expected in str(m)
    assert "16 logical, ? physical; quota 1.5 CPUs" in str(m)
    page = m._repr_html_()
    assert page.startswith("<table") and expected in page
    assert "NVIDIA H100 80GB HBM3" in page


def test_html_escapes_its_values():
    page = make(gpu="<script>")._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_blas_lines_come_from_threadpoolctl(monkeypatch):
    pools = [{"user_api": "blas", "internal_api": "openblas", "version": "0.3.30",
              "num_threads": 2},
             {"user_api": "openmp", "internal_api": "openmp", "version": None,
              "num_threads": 1}]
    monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda: pools)
    assert machine._blas_pools() == ("openblas 0.3.30, 2 threads", "openmp, 1 thread")


def test_blas_failure_is_not_fatal(monkeypatch):
    def broken():
        raise RuntimeError("no")
    monkeypatch.setattr(threadpoolctl, "threadpool_info", broken)
    assert machine._blas_pools() == ()


def fake_nvidia_smi(tmp_path, monkeypatch, script):
    path = tmp_path / "nvidia-smi"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)
    monkeypatch.setattr(machine.shutil, "which", lambda name: str(path))


@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as nvidia-smi")
def test_gpu_name_from_nvidia_smi(tmp_path, monkeypatch):
    fake_nvidia_smi(tmp_path, monkeypatch,
                    "echo 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1234-abcd)'")
    assert machine._gpu_name() == "NVIDIA H100 80GB HBM3"


@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as nvidia-smi")
def test_several_identical_gpus_are_counted(tmp_path, monkeypatch):
    fake_nvidia_smi(tmp_path, monkeypatch,
                    "echo 'GPU 0: NVIDIA A100 (UUID: GPU-1)'; echo 'GPU 1: NVIDIA A100 (UUID: GPU-2)'")
    assert machine._gpu_name() == "2 x NVIDIA A100"


@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as nvidia-smi")
def test_failing_nvidia_smi_means_no_gpu(tmp_path, monkeypatch):
    fake_nvidia_smi(tmp_path, monkeypatch, "echo 'NVIDIA-SMI has failed' >&2; exit 9")
    assert machine._gpu_name() is None


def test_no_nvidia_smi_means_no_gpu(monkeypatch):
    monkeypatch.setattr(machine.shutil, "which", lambda name: None)
    assert machine._gpu_name() is None


def test_hanging_nvidia_smi_means_no_gpu(monkeypatch):
    def hang(*args, timeout=None, **kwargs):
        assert timeout == 5
        raise subprocess.TimeoutExpired(args[0], timeout)
    monkeypatch.setattr(machine.shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    monkeypatch.setattr(machine.subprocess, "run", hang)
    assert machine._gpu_name() is None


@pytest.mark.parametrize("cores, expected", [
    (1, [1]),
    (2, [1, 2]),
    (3, [1, 2, 3]),
    (6, [1, 2, 4, 6]),
    (8, [1, 2, 4, 8]),
])
def test_worker_counts_follow_the_effective_cores(monkeypatch, cores, expected):
    monkeypatch.setattr(timing, "effective_cpu_count", lambda: cores)
    assert worker_counts() == expected


def test_worker_counts_can_be_capped(monkeypatch):
    monkeypatch.setattr(timing, "effective_cpu_count", lambda: 8)
    assert worker_counts(max_workers=3) == [1, 2, 3]
    assert worker_counts(max_workers=64) == [1, 2, 4, 8]
    with pytest.raises(ValueError):
        worker_counts(max_workers=0)


def test_describe_uses_the_effective_core_count(monkeypatch):
    monkeypatch.setattr(timing, "effective_cpu_count", lambda: 1)
    m = describe()
    assert m.effective_cores == 1
    assert "effective cores   1 (of" in str(m)
    if m.logical_cores > 1:
        assert m.note is not None and f"of the {m.logical_cores} CPUs" in m._repr_html_()
