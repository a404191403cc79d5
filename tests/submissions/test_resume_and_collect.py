"""The tool itself, on a tiny module: killed half-way and run again it grades only what is
missing and loses nothing; a killed run leaves no kernel behind; an LMS zip is collected by
nbgrader and graded like a folder."""

import json
import os
import subprocess
import sys
import tempfile
import uuid
import zipfile

from nbgrader.api import Gradebook

import tiny
from classgrading import BIN, REPO, autograder, checksums, kill_group, last_run, processes_in, wait_for


def scores(db_url):
    with Gradebook(db_url) as gradebook:
        return {s.student.id: s.score for s in gradebook.find_assignment("tiny").submissions}


def test_killed_run_resumes_without_loss(tmp_path):
    source = tiny.source(tmp_path / "source", sleep=3)
    tag = uuid.uuid4().hex[:6]
    students = {f"r{tag}-{i}": i % 3 != 0 for i in range(6)}
    for student, right in students.items():
        tiny.submit(tmp_path / "submitted", student, right, sleep=3)
    out, results = tmp_path / "out", tmp_path / "out" / "results" / "tiny"
    args = ["grade", "tiny", "--submissions", tmp_path / "submitted", "--source", source, "--out", out,
            "--workers", 2]
    grading = subprocess.Popen([sys.executable, "-m", "autograder", *map(str, args)], cwd=REPO,
                               env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert wait_for(lambda: len(list(results.glob("*.json"))) >= 2, timeout=600), "no student was graded"
    finally:
        kill_group(grading)  # the command, its Dask cluster and its grading processes
    done = sorted(p.stem for p in results.glob("*.json"))
    assert 2 <= len(done) < len(students), f"the kill came too late to test anything: {done}"
    # Kernels die with their grading process (a parent-death signal): none is left running.
    assert wait_for(lambda: not processes_in(os.path.join(tempfile.gettempdir(), f"autograder-r{tag}")), timeout=30), "kernels left behind"

    autograder(*args)
    run = last_run(out, "tiny")
    assert sorted(run["skipped"]) == done, "students graded before the kill must not be graded again"
    assert sorted(run["graded"]) == sorted(set(students) - set(done)), "exactly the missing ones are graded"
    db = f"sqlite:///{out / 'gradebook.db'}"
    assert scores(db) == {student: float(right) for student, right in students.items()}
    for student in students:
        result = json.loads((results / f"{student}.json").read_text())
        assert result["notebooks"]["tiny"]["cells"]["answer-tests"][0] == float(students[student])
        assert (out / "feedback" / student / "tiny" / "tiny.html").exists()

    again = autograder(*args)  # nothing left to do: nothing graded, nothing lost
    assert last_run(out, "tiny")["graded"] == [] and "6 student(s) already graded" in again.stdout
    assert scores(db) == {student: float(right) for student, right in students.items()}


def test_lms_zip_is_collected_by_nbgrader_and_graded(tmp_path):
    source = tiny.source(tmp_path / "source", sleep=0)
    tiny.submit(tmp_path / "folder", "ada", True, sleep=0)
    tiny.submit(tmp_path / "folder", "bob", False, sleep=0)
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for student in ("ada", "bob"):
            z.write(tmp_path / "folder" / student / "tiny" / "tiny.ipynb", f"submissions/{student}/tiny.ipynb")
    # The instructor keeps the download where nbgrader's zip_collect looks for it, and has already
    # collected a student by hand into OUT/submitted: grading the zip touches neither.
    out = tmp_path / "out"
    kept = out / "downloaded" / "tiny" / "archive" / "download.zip"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(archive.read_bytes())
    by_hand = out / "submitted" / "ada" / "tiny" / "tiny.ipynb"
    by_hand.parent.mkdir(parents=True)
    by_hand.write_text("a student's file, collected by hand")
    before = checksums(out)
    for _ in range(2):  # the second run finds everyone graded, from the same collected files
        run = autograder("grade", "tiny", "--submissions", kept, "--source", source, "--out", out, "--workers", 1)
    assert "2 student(s) already graded" in run.stdout
    assert scores(f"sqlite:///{out / 'gradebook.db'}") == {"ada": 1.0, "bob": 0.0}
    assert {path: digest for path, digest in checksums(out).items() if path in before} == before, \
        "collecting a zip changed or deleted the instructor's files"
    assert zipfile.ZipFile(kept).testzip() is None


def test_grading_on_a_given_dask_scheduler(tmp_path):
    """--scheduler: the tasks go to an existing cluster's workers (here, on this machine)."""
    from dask.distributed import LocalCluster

    source = tiny.source(tmp_path / "source", sleep=0)
    for student, right in (("ada", True), ("bob", False), ("cy", True)):
        tiny.submit(tmp_path / "submitted", student, right, sleep=0)
    out = tmp_path / "out"
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        run = autograder("grade", "tiny", "--submissions", tmp_path / "submitted", "--source", source, "--out", out,
                         "--scheduler", cluster.scheduler_address)
        assert "on 2 Dask worker(s)" in run.stdout
    assert scores(f"sqlite:///{out / 'gradebook.db'}") == {"ada": 1.0, "bob": 0.0, "cy": 1.0}
