"""Parallel writers never lose or corrupt gradebook rows: two grading runs merging into the same
gradebook at once (disjoint students and a shared few), SQLite and a real PostgreSQL."""

import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

import tiny
from autograder import gradebook
from autograder.course import use_environment
from classgrading import REPO

MERGER = """
import sys
from autograder import gradebook
db, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(first, last):
    score = float(i % 2)
    gradebook.merge(db, "tiny", f"s{i:03d}", {"timestamp": None, "notebooks": {"tiny": {
        "cells": {"answer-tests": [score, 1.0]}, "comments": {"answer": None}, "late_penalty": None,
        "integrity": []}}})
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_merges_keep_every_row(backend, tmp_path, postgres):
    use_environment()
    db = f"sqlite:///{tmp_path / 'gradebook.db'}" if backend == "sqlite" else postgres("merge_test")
    db = gradebook.database_url(db)
    template, _ = gradebook.make_template("tiny", tiny.source(tmp_path / "source") / "tiny", tmp_path / "scratch")
    gradebook.copy_assignment(f"sqlite:///{template}", db, "tiny")
    ranges = [(0, 25), (15, 40)]  # 15..24 are merged by both writers at once
    writers = [subprocess.Popen([sys.executable, "-c", MERGER, db, str(a), str(b)], cwd=REPO,
                                stderr=subprocess.PIPE, text=True) for a, b in ranges]
    for writer in writers:
        _, errors = writer.communicate(timeout=600)
        assert writer.returncode == 0, errors
    with Gradebook(db) as book:
        submissions = book.find_assignment("tiny").submissions
        got = {s.student.id: (s.score, len(s.notebooks), len(s.notebooks[0].grades)) for s in submissions}
    assert got == {f"s{i:03d}": (float(i % 2), 1, 1) for i in range(40)}
