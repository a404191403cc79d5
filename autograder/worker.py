"""The Dask task: grade one student in a private course folder, return everything as data.

The task receives the submission and the module as bytes (a remote worker shares no disk
with the instructor), writes them into a fresh temporary course folder, runs student.py there
in a subprocess (its crashes, chdirs and signal handlers stay out of the worker), and returns
the result with the autograded notebooks and feedback pages as bytes. The submission itself is
only ever read, by the coordinating process.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from .course import REPO, write_config


def lane_path(run_id):
    """The lock file that the grading processes of one run share on this machine (fairness.py)."""
    return os.path.join(tempfile.gettempdir(), f"autograder-{run_id}.lane")


def remove_lane(run_id):
    for suffix in ("", ".gate"):
        try:
            os.remove(lane_path(run_id) + suffix)
        except FileNotFoundError:
            pass


def _write(root, files):
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _read(folder):
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def grade_student(job, module_files):
    """job: what student.py needs plus the submission's files; module_files: {path: bytes} of the
    private course folder (the module's source and release, and the template gradebook)."""
    module, student, limits = job["module"], job["student"], job["limits"]
    root = pathlib.Path(tempfile.mkdtemp(prefix=f"autograder-{student}-"))
    try:
        _write(root, module_files)
        (root / "source" / module).mkdir(parents=True, exist_ok=True)  # autograde copies its data files, if any
        _write(root / "submitted" / student / module, job["files"])
        cell_timeout = limits["cell_timeout"]
        write_config(root, f"sqlite:///{root / 'gradebook.db'}", source="source", release="release", extra=[
            f"c.SandboxedExecute.notebook_timeout = {float(limits['timeout'])!r}",
            *([f"c.ExecutePreprocessor.timeout = {int(cell_timeout)!r}"] if cell_timeout else []),
            f"c.SandboxedExecute.timing_cells = {job['timing_cells']!r}",
            f"c.SandboxedExecute.lane_path = {lane_path(job['run_id'])!r}",
            f"c.SandboxedKernelManager.memory_mb = {int(limits['memory_mb'])!r}",
            f"c.SandboxedKernelManager.max_processes = {int(limits['max_processes'])!r}",
            "c.SandboxedKernelManager.reap_orphans = True",
        ])
        (root / "job.json").write_text(json.dumps({
            "module": module, "student": student, "layout": job["layout"], "lane": lane_path(job["run_id"]),
            "memory_mb": limits["memory_mb"], "extension": job["extension"]}))
        # Enough for every notebook to use its whole budget, plus waiting for timing cells.
        wall = 3 * len(job["layout"]) * (limits["timeout"] + 60) + 120
        with open(root / "grading.log", "wb") as log:
            child = subprocess.Popen([sys.executable, "-m", "autograder.student", str(root)], cwd=REPO,
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            try:
                child.wait(timeout=wall)
            except subprocess.TimeoutExpired:
                child.kill()  # its kernels die with it (kernel_launcher sets a parent-death signal)
                child.wait()
        result_file = root / "result.json"
        if result_file.exists():
            result = json.loads(result_file.read_text())
        else:
            result = {"ok": False, "error": f"the grading process ended with code {child.returncode} "
                                            f"without a result (wall limit {wall:.0f} s)"}
        result["log"] = (root / "grading.log").read_text(errors="replace")
        if result["ok"]:
            result["autograded"] = _read(root / "autograded" / student / module)
            result["feedback"] = _read(root / "feedback" / student / module)
        return result
    finally:
        shutil.rmtree(root, ignore_errors=True)
