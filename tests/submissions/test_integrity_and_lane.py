"""Unit tests: the integrity scan (what it flags, and what it must not), and the timing lane."""

import threading
import time

import nbformat
import pytest

from autograder.fairness import Lane, timing_cells
from autograder.integrity import scan_notebook


def flags(*cells, lesson=()):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    return sorted({flag[0] for flag in scan_notebook(notebook, lesson)})


@pytest.mark.parametrize("code, category", [
    ("import time\ntime.perf_counter = lambda: 0.0", "clock"),
    ("import time as t\nt.monotonic = lambda: 1.0", "clock"),
    ("import time\nsetattr(time, 'time', lambda: 0)", "clock"),
    ("from unittest import mock\nmock.patch('time.perf_counter', return_value=0).start()", "clock"),
    ("import timeit\ntimeit.default_timer = lambda: 0", "clock"),
    ("import builtins\nbuiltins.len = lambda x: 0", "builtins"),
    ("__builtins__['print'] = None", "builtins"),
    ("import sys\nsys.modules['scalinglab'] = None", "sys.modules"),
    ("import sys\ndel sys.modules['numpy']", "sys.modules"),
    ("import sys\nsys.modules.pop('time')", "sys.modules"),
    ("from scalinglab import grading\ngrading.check_speedup = print", "grader"),
    ("import numpy as np\nnp.allclose = lambda *a, **k: True", "grader"),
    ("import runpy\nrunpy.run_path = lambda p: {}", "grader"),
    ("import os\nif os.environ.get('NBGRADER_EXECUTION'):\n    pass", "nbgrader-env"),
    ("exec(compile(source, 'x', 'exec'))", "dynamic"),
    ("import sqlite3\nsqlite3.connect('../../../gradebook.db')", "course-files"),
    ("import glob\nglob.glob('../../../source/*/*.ipynb')", "course-files"),
])
def test_tampering_is_flagged(code, category):
    assert category in flags(code)


@pytest.mark.parametrize("code", [
    "import time\nstart = time.perf_counter()\nelapsed = time.perf_counter() - start",
    "from time import perf_counter\nperf_counter = None  # a local name, not the module's clock",
    "class Run:\n    def __init__(self):\n        self.time = 0.0",
    "import functools\n@functools.lru_cache\ndef f(n):\n    return n",
    "%timeit sum(range(10))\n!ls",
    "import numpy as np\nx = np.zeros(3)\nx[0] = 1",
])
def test_ordinary_code_is_not_flagged(code):
    assert flags(code) == []


def test_code_the_lesson_gives_is_not_flagged_but_its_imports_count():
    given = "import numpy as np\nimport time"
    patch = "time.perf_counter = time.perf_counter"
    assert flags(given, patch, lesson=[given, patch]) == []
    assert flags(given, "np.allclose = None", lesson=[given]) == ["grader"]


def test_timing_cells_are_speed_tests_and_the_answers_they_read():
    cells = [nbformat.v4.new_code_cell(src) for src in ("def fast(x):\n    return x", "reported = 3.0",
                                                        "assert fast(1) == 1", "grading.check_reported(reported, 3.0)")]
    for cell, (grade_id, solution, grade) in zip(cells, [("fast", 1, 0), ("reported", 1, 0), ("fast-tests", 0, 1),
                                                         ("speed-tests", 0, 1)]):
        cell.metadata["nbgrader"] = {"grade_id": grade_id, "solution": bool(solution), "grade": bool(grade)}
    assert timing_cells(nbformat.v4.new_notebook(cells=cells)) == ["speed-tests", "reported"]


def test_exclusive_lane_waits_for_shared_work_and_blocks_new_work(tmp_path):
    path = str(tmp_path / "lane")
    events = []
    reader, writer, late = Lane(path), Lane(path), Lane(path)

    def hold_shared():
        with reader.shared():
            events.append("shared start")
            time.sleep(0.5)
            events.append("shared end")

    def timing_cell():
        time.sleep(0.1)
        with writer.exclusive():
            events.append("timing start")
            time.sleep(0.5)
            events.append("timing end")

    def arrives_later():
        time.sleep(0.3)  # while the timing cell waits: it must not overtake it
        with late.shared():
            events.append("late shared")

    threads = [threading.Thread(target=f) for f in (hold_shared, timing_cell, arrives_later)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert events == ["shared start", "shared end", "timing start", "timing end", "late shared"]
    assert writer.waited >= 0.2 and writer.alone >= 0.4
    # What each recorded (the corpus test checks a graded class with these): one after the other.
    (kind_r, start_r, end_r), (kind_w, start_w, end_w), (kind_l, start_l, _) = reader.held + writer.held + late.held
    assert (kind_r, kind_w, kind_l) == ("shared", "alone", "shared")
    assert end_r <= start_w and end_w - start_w >= 0.4 and end_w <= start_l
