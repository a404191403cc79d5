"""The submission corpus, graded twice by `python -m autograder grade` with 2 workers: both runs
must give exactly the corpus table (every cell's score, what happened, the integrity flags).

Run A writes a SQLite gradebook on a quiet machine; run B writes a real PostgreSQL gradebook
while another process keeps one core busy (timing cells are measured alone: fairness.py).
`make test` grades module 00's corpus; `make test-full` (AUTOGRADER_CORPUS=all) every module's.
To try new cases quickly, AUTOGRADER_CORPUS_CASES=memoised,hard-coded grades only those (and
"correct" and "reads-gradebook", which the fairness and hidden-test checks need).
"""

import csv
import html
import json
import os
import re
import shutil

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.gradebook import database_url

import corpus
from classgrading import autograder, busy_core, checksums
from repo import REPO

SELECTED = os.environ.get("AUTOGRADER_CORPUS", "00-measuring-scale")
MODULES = sorted(p.name for p in (REPO / "lessons").iterdir() if (REPO / "solutions" / p.name).is_dir()) \
    if SELECTED == "all" else SELECTED.split(",")
ONLY = os.environ.get("AUTOGRADER_CORPUS_CASES")


@pytest.fixture(scope="module", params=MODULES)
def graded(request, tmp_path_factory, postgres):
    module = request.param
    root = tmp_path_factory.mktemp(f"corpus-{module}")
    table = corpus.build(module, root / "submitted")
    if ONLY:
        for case in set(table) - {"correct", "reads-gradebook", *ONLY.split(",")}:
            shutil.rmtree(root / "submitted" / case)
            del table[case]
    before = checksums(root / "submitted")
    runs = {}
    for name, db, busy in (("sqlite", None, False), ("postgresql", postgres(f"corpus_{module}"), True)):
        out = root / name
        args = ["grade", module, "--submissions", root / "submitted", "--out", out, "--workers", 2,
                *corpus.limits(module), *(["--db", db] if db else [])]
        if busy:
            with busy_core():
                run = autograder(*args)
        else:
            run = autograder(*args)
        runs[name] = {"out": out, "db": database_url(db or f"sqlite:///{out / 'gradebook.db'}"), "stdout": run.stdout}
    return module, table, root, before, runs


def actual(module, run, student):
    """(scores, event kinds, integrity categories) that a run gave a student."""
    with Gradebook(run["db"]) as gradebook:
        submission = gradebook.find_submission(module, student)
        scores = {(nb.name + ".ipynb", grade.name): grade.auto_score
                  for nb in submission.notebooks for grade in nb.grades}
    result = json.loads((run["out"] / "results" / module / f"{student}.json").read_text())
    events = {kind for kind, _ in result["events"]}
    flags = set()
    for notebook in result["notebooks"].values():
        events |= {kind for kind, _ in notebook["events"]}
        flags |= {flag[0] for flag in notebook["integrity"]}
    return scores, events, flags


def why_lost(run, module, student, notebook, grade_id):
    """The error a cell showed, to explain an unexpected score."""
    path = run["out"] / "autograded" / student / module / notebook
    if not path.exists():
        return "no autograded notebook"
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return "; ".join(f"{o.get('ename')}: {o.get('evalue', '')[:300]}" for o in cell.get("outputs", [])
                             if o.get("output_type") == "error") or "no error"
    return "cell not found"


def test_both_runs_match_the_corpus_table(graded):
    module, table, _, _, runs = graded
    problems = []
    for run_name, run in runs.items():
        for case, want in sorted(table.items()):
            scores, events, flags = actual(module, run, case)
            for cell, score in sorted(want["scores"].items()):
                if scores.get(cell, "missing") != score:
                    problems.append(f"{run_name} {case} ({want['why']}): {cell[1]} scored "
                                    f"{scores.get(cell, 'missing')}, expected {score} "
                                    f"[{why_lost(run, module, case, *cell)}]")
            if events != want["events"]:
                problems.append(f"{run_name} {case}: events {sorted(events)}, expected {sorted(want['events'])}")
            if flags != want["flags"]:
                problems.append(f"{run_name} {case}: integrity flags {sorted(flags)}, "
                                f"expected {sorted(want['flags'])}")
    assert not problems, "\n".join(problems)


def test_submissions_are_never_modified(graded):
    _, _, root, before, _ = graded
    assert checksums(root / "submitted") == before


def test_every_student_gets_feedback_without_hidden_tests(graded):
    module, table, _, _, runs = graded
    hidden, visible = set(), set()
    pattern = r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS"
    for path in (REPO / "solutions" / module).glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for block in re.findall(pattern, cell.source, re.S):
                hidden |= {html.escape(line.strip()) for line in block.splitlines() if len(line.strip()) > 25}
            visible |= {html.escape(line.strip()) for line in re.sub(pattern, "", cell.source, flags=re.S).splitlines()}
    # a line the lesson also shows (in a given cell, say) gives nothing away
    hidden = {line for line in hidden if not any(line in shown for shown in visible)}
    assert hidden, f"no hidden test line of {module} to look for: the check below would pass on anything"
    for run in runs.values():
        for case, want in table.items():
            for notebook in {name for name, _ in want["scores"]}:
                page = (run["out"] / "feedback" / case / module / notebook.replace(".ipynb", ".html")).read_text()
                shown = [line for line in hidden if line in page]
                assert not shown, f"feedback of {case} shows hidden tests: {shown[:3]}"
                if "kernel-died" in want["events"]:
                    assert "KernelDied" in page or "KernelKilled" in page, \
                        f"{case}'s feedback does not say the kernel died"
                if "unreadable" in want["events"]:
                    assert "could not be read as a notebook" in page


def test_student_code_finds_the_hidden_tests_but_not_the_solutions(graded):
    """The reads-gradebook case's kernel could read the hidden tests (so the feedback test above is
    a real one), and found no source notebook (the solutions) in its grading course."""
    module, _, _, _, runs = graded
    notebook = corpus.Module(module).notebook
    for run in runs.values():
        path = run["out"] / "autograded" / "reads-gradebook" / module / notebook
        printed = "".join(output.get("text", "") for cell in nbformat.read(path, as_version=4).cells
                          for output in cell.get("outputs", []) if output.get("output_type") == "stream")
        assert "### BEGIN HIDDEN TESTS" in printed, "the case did not reach the gradebook: the test proves nothing"
        assert "source notebooks found: 0" in printed


def test_gradebooks_hold_every_row_once(graded):
    module, table, _, _, runs = graded
    cells = sum(len(want["scores"]) for want in table.values())
    for name, run in runs.items():
        with Gradebook(run["db"]) as gradebook:
            submissions = gradebook.find_assignment(module).submissions
            assert sorted(s.student.id for s in submissions) == sorted(table), name
            assert sum(len(nb.grades) for s in submissions for nb in s.notebooks) == cells, name


def test_reports_and_exports(graded):
    module, table, _, _, runs = graded
    for run in runs.values():
        out = run["out"]
        with open(out / "grades.csv") as f:
            exported = [row["student_id"] for row in csv.DictReader(f) if row["assignment"] == module]
        assert sorted(exported) == sorted(table)
        with open(out / "reports" / module / "cells.csv") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == sum(len(want["scores"]) for want in table.values())
        with open(out / "reports" / module / "integrity.csv") as f:
            flagged = {}
            for row in csv.DictReader(f):
                flagged.setdefault(row["student"], set()).add(row["category"])
        assert flagged == {case: want["flags"] for case, want in table.items() if want["flags"]}
        report = (out / "reports" / module / "integrity.md").read_text()
        assert all(f"## {case}" in report for case in flagged)
        assert f"{module}: {len(table)} students" in run["stdout"]


def test_timing_cells_were_measured_alone(graded):
    """While a timing cell ran, no other student's grading computed in the lane: no cell, no kernel
    start, no feedback. Every grading process records when it held the lane (the same wall clock
    on one machine); no hold may overlap another student's exclusive one."""
    module, _, _, _, runs = graded
    for name, run in runs.items():
        held = [(path.stem, kind, start, end) for path in (run["out"] / "results" / module).glob("*.json")
                for kind, start, end in json.loads(path.read_text())["lane"]["held"]]
        alone = [hold for hold in held if hold[1] == "alone"]
        assert any(student == "correct" for student, *_ in alone), "the correct submission's timing cells ran shared"
        overlaps = [(a, b) for a in alone for b in held
                    if a[0] != b[0] and min(a[3], b[3]) - max(a[2], b[2]) > 1e-3]
        assert not overlaps, f"{name}: timing cells overlapped other students' work: {overlaps[:5]}"
        print(f"{module} ({name}): {len(alone)} timing cells, {sum(e - s for _, _, s, e in alone):.1f} s alone; "
              f"{len(held) - len(alone)} other holds by {len({h[0] for h in held})} students; no overlap")
