"""A throwaway nbgrader course directory that uses the course's own configuration.

Tests generate, submit and autograde there with the real nbgrader commands, so nothing in
the repository (lessons/, autograder/class/) is touched.
"""

import json
import os
import pathlib
import runpy
import shutil
import subprocess
import sys
import threading
import time

import nbformat
import psutil
from nbgrader.api import Gradebook

REPO = pathlib.Path(__file__).resolve().parents[2]


class Course:
    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.db_url = f"sqlite:///{self.root / 'gradebook.db'}"
        (self.root / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            f"load_subconfig({str(REPO / 'autograder' / 'nbgrader_config.py')!r})\n"
            f"c.CourseDirectory.root = {str(self.root)!r}\n"
            f"c.CourseDirectory.db_url = {self.db_url!r}\n"
        )

    def nbgrader(self, *args, timeout=900):
        """Run an nbgrader command here; fail with its output if it fails.

        Returns (wall seconds, peak memory in bytes of the command and all its processes)."""
        bin_dir = pathlib.Path(sys.executable).parent
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
        started = time.monotonic()
        command = subprocess.Popen([str(bin_dir / "nbgrader"), *args], cwd=self.root, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        peak = PeakMemory(command.pid)
        try:
            output, _ = command.communicate(timeout=timeout)
        finally:
            peak.stop()
        assert command.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{output}"
        return time.monotonic() - started, peak.bytes

    def generate(self, module):
        shutil.copytree(REPO / "solutions" / module, self.root / "solutions" / module)
        self.nbgrader("generate_assignment", module, "--force")
        return self.root / "lessons" / module

    def submit(self, student, module, notebooks):
        """notebooks: {name: source path or bytes}: written as nbgrader's submitted/ layout."""
        folder = self.root / "autograder" / "class" / "submitted" / student / module
        folder.mkdir(parents=True)
        for name, content in notebooks.items():
            target = folder / name
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                shutil.copy(content, target)
        (folder / "timestamp.txt").write_text("2026-11-22 12:00:00.000000 UTC")

    def scores(self, module, student):
        """{(notebook, grade_id): (score, max_score, needs_manual_grade)} from the gradebook."""
        out = {}
        with Gradebook(self.db_url) as gradebook:
            submission = gradebook.find_submission(module, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    out[(notebook.name, grade.name)] = (grade.score, grade.max_score, grade.needs_manual_grade)
        return out

    def errors(self, module, student):
        """{grade_id: "Name: message"} for the graded cells that raised or wrote to stderr (which
        nbgrader scores 0), from the autograded notebooks: why a cell lost its points."""
        out = {}
        for path in sorted((self.root / "autograder" / "class" / "autograded" / student / module).glob("*.ipynb")):
            for cell in nbformat.read(path, as_version=4).cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                for output in cell.get("outputs", []) if grade_id else []:
                    if output.output_type == "error":
                        out[grade_id] = f"{output.ename}: {output.evalue}"[-600:]
                    elif output.get("name") == "stderr":
                        out[grade_id] = f"stderr: {output.text}"[-600:]
        return out


class PeakMemory:
    """Samples the resident memory of a process and all its descendants, summed, until stopped."""

    def __init__(self, pid, interval=0.05):
        self.bytes, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(pid, interval), daemon=True)
        self._thread.start()

    def _sample(self, pid, interval):
        try:
            root = psutil.Process(pid)
            while not self._stop.is_set():
                total = 0
                for process in [root, *root.children(recursive=True)]:
                    try:
                        total += process.memory_info().rss
                    except psutil.Error:
                        pass  # ended between listing and reading
                self.bytes = max(self.bytes, total)
                self._stop.wait(interval)
        except psutil.Error:
            pass

    def stop(self):
        self._stop.set()
        self._thread.join()


def with_edits(source, edits, target):
    """Write `source` notebook to `target` with cells (by nbgrader grade_id) given new sources."""
    notebook = nbformat.read(source, as_version=4)
    ids = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in notebook.cells}
    for grade_id, new_source in edits.items():
        assert grade_id in ids, f"no cell {grade_id!r} in {source}"
        ids[grade_id].source = new_source
    nbformat.write(notebook, target)


def samples(module):
    """The wrong-answer samples of a module: tests/notebooks/samples/<module>.py, if any."""
    path = pathlib.Path(__file__).parent / "samples" / f"{module}.py"
    return runpy.run_path(str(path))["SAMPLES"] if path.exists() else {}


def hand_ins(module):
    """The samples packed into as few submissions as possible: every submission re-runs the
    whole notebook, so samples that touch different cells (edited or expected to lose points)
    of the same notebook share one. A sample with "alone": True gets its own.
    Returns [(notebook, {name: sample, ...}), ...]."""
    packed = []
    for name, sample in samples(module).items():
        touched = set(sample["edits"]) | set(sample["scores"])
        for notebook, group, cells in packed:
            if (notebook == sample["notebook"] and not touched & cells and not sample.get("alone")
                    and not any(other.get("alone") for other in group.values())):
                group[name] = sample
                cells |= touched
                break
        else:
            packed.append((sample["notebook"], {name: sample}, touched))
    return [(notebook, group) for notebook, group, _ in packed]


def notebook_cells(path):
    """A notebook's cells, minus fields that do not affect what a student sees (for comparing)."""
    cells = json.loads(pathlib.Path(path).read_text())["cells"]
    return [{k: v for k, v in cell.items() if k not in ("execution_count", "outputs")} for cell in cells]
