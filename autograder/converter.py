"""nbgrader's Autograde for one student, made to survive what students hand in.

The classes here subclass nbgrader's own converter and preprocessors; everything else is
nbgrader's unchanged pipeline (ClearOutput, OverwriteCells, SaveAutoGrades, ...):

- `KeepLastDuplicate`: a duplicated graded cell is graded once (the last copy) and the other
  copies run as ordinary code. nbgrader blanks their metadata instead, which then fails
  validation ("old version of the nbgrader metadata format") and stops the whole run.
- `ReportingOverwriteCells`: nbgrader's restoring of edited, retyped, unknown and deleted cells,
  with each repair recorded so that the instructor and the student are told.
- `SandboxedExecute`: runs the notebook in a sandboxed kernel (sandbox.py) with a per-notebook
  time budget. A kernel that dies (os._exit, a segfault, the process cap) or does not stop when
  interrupted costs only the cells that did not run: each gets an error output saying why, so
  the test cells among them score 0 and every cell that ran keeps its score. nbgrader instead
  drops the whole notebook. Timing cells run in the exclusive lane, at a raised priority
  (fairness.py).
- `SafeAutograde`: nbgrader's Autograde with these preprocessors; a notebook that nbgrader still
  cannot process scores 0 with the reason recorded, and the other notebooks are graded.

What happened is collected per notebook as (kind, message) events in `SafeAutograde.events`
(preprocessors note them in the resources, which the converter reads back when it writes).
"""

import contextlib
import os
import time
from queue import Empty

import nbformat
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds,
                                    Execute, IgnorePattern, LimitOutput, OverwriteCells, OverwriteKernelspec,
                                    SaveAutoGrades)
from traitlets import Float, List, Unicode

from .fairness import Lane, priority
from .sandbox import SandboxedKernelManager


def note(resources, kind, message):
    resources.setdefault("autograder", []).append((kind, message))


def add_error(cell, ename, message):
    """An error output: it tells the student why, and makes nbgrader score a test cell 0."""
    cell.setdefault("outputs", []).append(NotebookNode(
        output_type="error", ename=ename, evalue=message, traceback=[f"\x1b[0;31m{ename}\x1b[0m: {message}"]))


class KeepLastDuplicate(DeduplicateIds):
    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is None or not (utils.is_grade(cell) or utils.is_solution(cell) or utils.is_locked(cell)):
            return cell, resources
        if grade_id in self.grade_ids:  # cells are visited last to first
            note(resources, "duplicated-cell", f"cell '{grade_id}' appears more than once: the last copy was "
                                               "graded, the others ran as ordinary code")
            del cell.metadata["nbgrader"]
        else:
            self.grade_ids.add(grade_id)
        return cell, resources


class ReportingOverwriteCells(OverwriteCells):
    CHANGES = {"checksum": "was edited: the original was restored and graded",
               "cell_type": "had its type changed from {new} to {old}: changed back",
               "locked": "was unlocked: the original was restored",
               "points": "had its points changed to {new}: restored to {old}"}

    def preprocess(self, nb, resources):
        self._resources = resources
        return super().preprocess(nb, resources)

    def report_change(self, name, attr, old, new):
        super().report_change(name, attr, old, new)
        if attr == "checksum" and self._cell.source == self._resources["release_cells"].get(name):
            return  # as released: the hidden tests are what differs
        kind = "edited-cell" if attr in ("checksum", "locked", "points") else "cell-type-changed"
        note(self._resources, kind, f"cell '{name}' " + self.CHANGES[attr].format(old=old, new=new))

    def preprocess_cell(self, cell, resources, cell_index):
        self._cell = cell
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None:
            try:
                self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                note(resources, "unknown-cell", f"a cell claims the id '{grade_id}', which this assignment does "
                                                "not have: it ran as ordinary code")
                del cell.metadata["nbgrader"]
                return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)

    def add_missing_grade_cells(self, nb, resources):
        present = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells}
        source = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        for cell in source.grade_cells:
            if cell.name not in present:
                note(resources, "deleted-cell", f"cell '{cell.name}' was missing: nbgrader put it back and graded it")
        return super().add_missing_grade_cells(nb, resources)


class SandboxedExecute(Execute):
    notebook_timeout = Float(600, help="Seconds of execution one notebook may use in all.").tag(config=True)
    interrupt_grace = Float(10, help="Seconds a kernel has to answer once a timed-out cell was interrupted."
                            ).tag(config=True)
    timing_cells = List(Unicode(), help="grade_ids of the cells measured alone on the machine.").tag(config=True)
    lane_path = Unicode("", help="Lock file shared by the grading processes of this machine.").tag(config=True)

    def __init__(self, **kw):
        kw.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(**kw)

    def preprocess(self, nb, resources=None, km=None):
        self.stopped, self.budget, self.timed_out = None, self.notebook_timeout, None
        self.lane = Lane(self.lane_path or None)
        nb, resources = super().preprocess(nb, resources, km)
        resources["lane"]["waited"] += self.lane.waited
        resources["lane"]["alone"] += self.lane.alone
        resources["lane"]["held"] += self.lane.held
        return nb, resources

    def start_new_kernel(self, **kw):  # a starting kernel computes too: it runs in the shared lane
        with self.lane.shared():
            return super().start_new_kernel(**kw)

    def start_new_kernel_client(self):
        with self.lane.shared():
            return super().start_new_kernel_client()

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        if cell is None:
            return timeout
        left = max(1, int(self.budget + 0.999))
        return left if timeout is None else min(timeout, left)

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out = timeout
        return await super()._async_handle_timeout(timeout, cell)

    async def _async_answers(self, seconds):
        """Does the kernel answer a kernel_info request within `seconds`? (It cannot while busy.)"""
        msg_id = await ensure_async(self.kc.kernel_info())
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=left))
            except Empty:
                return False
            if msg["parent_header"].get("msg_id") == msg_id:
                return True
        return False

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if self.stopped is None and self.budget <= 0:
            self.stopped = f"the notebook used up its {self.notebook_timeout:.0f} s of run time"
            note(resources, "timeout", f"the notebook used up its {self.notebook_timeout:.0f} s of run time; "
                                       "the cells after that did not run")
        if self.stopped is not None:
            cell.outputs, cell.execution_count = [], None
            add_error(cell, "NotRun", f"this cell did not run: {self.stopped}.")
            return cell, resources
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in self.timing_cells:
            lane = contextlib.ExitStack()
            lane.enter_context(self.lane.exclusive())
            lane.enter_context(priority(self.km.kernel_process.pid))
        else:
            lane = self.lane.shared()
        self.timed_out = None
        with lane:
            started = time.monotonic()
            try:
                cell, resources = super().preprocess_cell(cell, resources, index)
            except CellTimeoutError:  # interrupted, then silent: is it stuck in a loop that ignores it?
                self.timed_out = self.timed_out or self._get_timeout(cell)
            except DeadKernelError:
                reason = self.km.stop_reason()
                self.stopped = f"the kernel {reason} in an earlier cell"
                add_error(cell, "KernelDied", f"the kernel {reason} while running this cell. The cells after "
                                              "it did not run and score 0; the cells before it keep their scores.")
                note(resources, "kernel-died", f"the kernel {reason} in cell {index + 1}"
                                               + (f" ('{grade_id}')" if grade_id else ""))
                return cell, resources
            finally:
                self.budget -= time.monotonic() - started
            if self.timed_out is not None:
                note(resources, "timeout", f"cell {index + 1} was interrupted after {self.timed_out} s")
                if not any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
                    add_error(cell, "CellTimeoutError", f"this cell was stopped after {self.timed_out} s")
                if not run_sync(self._async_answers)(self.interrupt_grace):
                    run_sync(self.km.shutdown_kernel)(now=True)
                    self.stopped = (f"the kernel did not stop when interrupted after {self.timed_out} s (a loop "
                                    "that catches KeyboardInterrupt, such as a bare `except:`?) and was killed")
                    add_error(cell, "KernelKilled", self.stopped + ". The cells after it did not run and score 0.")
                    note(resources, "kernel-died", self.stopped + f" in cell {index + 1}")
                    self.stopped += " in an earlier cell"
        return cell, resources


class SafeAutograde(Autograde):
    sanitize_preprocessors = List([ClearOutput, KeepLastDuplicate, OverwriteKernelspec, ReportingOverwriteCells,
                                   CheckCellMetadata]).tag(config=True)
    autograde_preprocessors = List([SandboxedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]).tag(config=True)

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.events = {}  # notebook name -> [(kind, message)]
        self.lane = {"waited": 0.0, "alone": 0.0, "held": []}

    def init_single_notebook_resources(self, notebook_filename):
        resources = super().init_single_notebook_resources(notebook_filename)
        resources["autograder"], resources["lane"] = [], {"waited": 0.0, "alone": 0.0, "held": []}
        resources["release_cells"] = self.release_cells(resources["nbgrader"]["notebook"])
        return resources

    def release_cells(self, notebook):
        """{grade_id: source} of the notebook as released (what an untouched cell looks like)."""
        path = os.path.join(self.coursedir.format_path(self.coursedir.release_directory, ".",
                                                      self.coursedir.assignment_id), f"{notebook}.ipynb")
        if not os.path.exists(path):
            return {}
        cells = nbformat.read(path, as_version=4).cells
        return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in cells
                if cell.metadata.get("nbgrader", {}).get("grade_id")}

    def write_single_notebook(self, output, resources):
        # nbconvert hands preprocessors a deep copy of the resources: collect their notes here.
        self.events.setdefault(resources["nbgrader"]["notebook"], []).extend(resources["autograder"])
        for key in self.lane:
            self.lane[key] += resources["lane"][key]
        super().write_single_notebook(output, resources)

    def convert_single_notebook(self, notebook_filename):
        try:
            super().convert_single_notebook(notebook_filename)
        except Exception as error:  # this notebook only: record why, score it 0, go on with the others
            self._sanitizing = True
            notebook = notebook_filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            self.log.exception("Could not grade %s", notebook_filename)
            self.events.setdefault(notebook, []).append(
                ("not-graded", f"nbgrader could not grade this notebook ({type(error).__name__}: {error}); "
                               "it scores 0 until an instructor looks at it"))
            assignment, student = self.coursedir.assignment_id, self.coursedir.student_id
            zero_notebook(self.coursedir.db_url, notebook, assignment, student)
            half_done = os.path.join(self._format_dest(assignment, student), f"{notebook}.ipynb")
            if os.path.exists(half_done):  # its feedback page will say why instead
                os.remove(half_done)


def zero_notebook(db_url, notebook, assignment, student):
    """Score every cell of a notebook 0, as nbgrader does for a notebook that was not handed in."""
    with Gradebook(db_url) as gradebook:
        gradebook.update_or_create_student(student)
        gradebook.update_or_create_submission(assignment, student)
        for grade in gradebook.find_submission_notebook(notebook, assignment, student).grades:
            grade.auto_score, grade.needs_manual_grade = 0, False
        gradebook.db.commit()
