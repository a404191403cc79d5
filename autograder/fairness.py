"""Timing fairness: the grader's speed measurements run alone on their machine.

Every notebook cell runs in a *lane*, a readers-writer lock shared by all grading processes
on one machine (a lock file per grading run). Ordinary cells hold it shared, so they run in
parallel; a timing cell (one whose test measures speed) holds it exclusively, so while it
runs no other student's cell computes on any core of that machine. A gate in front of the lock
stops new readers while a timing cell waits, so timing cells cannot be starved.

While a timing cell runs, its kernel also runs at a raised priority (nice -10) where the
grader may raise priorities (as root); the processes it starts then (the grader's measuring
child) inherit it. That shields the measurement from other work on a shared machine too.

Timing cells are found in the instructor's source notebook: the test cells that call the
grader's speed functions (TIMING_CALLS below), and the answer cells that define a name those
tests read (a speedup the student measured and reports, say), since both measure something.
"""

import ast
import contextlib
import fcntl
import os
import re
import time

TIMING_CALLS = re.compile(r"\b(measure_speedup|check_speedup|check_reported)\b")


def _names(source):
    """(names a cell reads, names it binds), IPython magics left out."""
    code = "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set(), set()
    read, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
    return read, bound


def timing_cells(notebook):
    """grade_ids of a source notebook's cells that measure speed: tests and the answers they read."""
    cells = [(cell.metadata.get("nbgrader", {}), cell) for cell in notebook.cells if cell.cell_type == "code"]
    tests = [(meta["grade_id"], cell) for meta, cell in cells
             if meta.get("grade") and not meta.get("solution") and TIMING_CALLS.search(cell.source)]
    wanted = set()
    for _, cell in tests:
        read, bound = _names(cell.source)
        wanted |= read - bound
    answers = [meta["grade_id"] for meta, cell in cells
               if meta.get("solution") and not meta.get("grade") and _names(cell.source)[1] & wanted]
    return [grade_id for grade_id, _ in tests] + answers


class Lane:
    """The per-machine lock; with no path, a lane that never waits (one notebook alone)."""

    def __init__(self, path=None):
        self.waited = 0.0  # seconds waiting for the exclusive lane
        # [kind ("shared" or "alone"), start, end] of every hold, in time.time() seconds: the
        # same clock in every process of the machine, so a test can check that no hold overlapped
        # another process's "alone" one.
        self.held = []
        self._lock = open(path, "a") if path else None
        self._gate = open(path + ".gate", "a") if path else None

    @property
    def alone(self):
        """Seconds this process held the lane exclusively (ran timing cells)."""
        return sum(end - start for kind, start, end in self.held if kind == "alone")

    @contextlib.contextmanager
    def _holding(self, kind):
        start = time.time()
        try:
            yield
        finally:
            self.held.append([kind, start, time.time()])

    @contextlib.contextmanager
    def shared(self):
        if self._lock is None:
            yield
            return
        fcntl.flock(self._gate, fcntl.LOCK_EX)  # wait here while a timing cell waits or runs
        fcntl.flock(self._gate, fcntl.LOCK_UN)
        fcntl.flock(self._lock, fcntl.LOCK_SH)
        try:
            with self._holding("shared"):
                yield
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def exclusive(self):
        if self._lock is None:
            yield
            return
        asked = time.monotonic()
        fcntl.flock(self._gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX)  # once every cell now running has finished
            got = time.monotonic()
            self.waited += got - asked
            try:
                with self._holding("alone"):
                    yield
            finally:
                fcntl.flock(self._lock, fcntl.LOCK_UN)
        finally:
            fcntl.flock(self._gate, fcntl.LOCK_UN)


@contextlib.contextmanager
def priority(pid, nice=-10):
    """Run every thread of process `pid` at `nice` for a while, if allowed; else leave it be."""
    tasks = [int(t) for t in os.listdir(f"/proc/{pid}/task")] if os.path.isdir(f"/proc/{pid}/task") else [pid]
    changed = []
    for task in tasks:
        try:
            before = os.getpriority(os.PRIO_PROCESS, task)
            os.setpriority(os.PRIO_PROCESS, task, nice)
            changed.append((task, before))
        except OSError:  # not allowed (not root), or the thread ended
            pass
    try:
        yield
    finally:
        for task, before in changed:
            try:
                os.setpriority(os.PRIO_PROCESS, task, before)
            except OSError:
                pass
