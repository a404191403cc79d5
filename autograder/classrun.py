"""One grading run of a module: collect, skip what is done, grade on Dask, merge, report.

Resumable: a student is done when OUT/results/MODULE/STUDENT.json exists with the checksum
of the files graded. It is written last, after the autograded notebooks, the feedback and
the gradebook merge, so a run killed at any point loses nothing: the next run grades exactly
the students without a result (or whose submission changed), and merges again any result
that the gradebook lacks (another --db, say).
"""

import contextlib
import json
import logging
import os
import pathlib
import shutil
import tempfile
import time
import uuid

import nbformat
from dask.distributed import Client, LocalCluster, as_completed
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import collect, fairness, gradebook, report, worker
from .course import RELEASE, REPO, SOURCE, use_environment, write_config

DEFAULT_OUT = REPO / "autograder" / "class"


def default_workers():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextlib.contextmanager
def dask_client(workers, scheduler):
    """A client on the given scheduler, or on a LocalCluster of single-threaded worker processes."""
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=0,
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


def _save(path, data):
    partial = path.with_suffix(".partial")
    partial.write_text(data)
    partial.replace(path)


def _replace_tree(folder, files):
    """folder's contents become `files` ({relative path: bytes}), swapped in as a whole."""
    fresh = folder.with_name(folder.name + ".partial")
    shutil.rmtree(fresh, ignore_errors=True)
    for relpath, content in files.items():
        (fresh / relpath).parent.mkdir(parents=True, exist_ok=True)
        (fresh / relpath).write_bytes(content)
    fresh.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh.rename(folder)


def prepare_module(module, source, db_url):
    """The template gradebook, the assignment in the main gradebook, and what every task needs:
    ({path in a private course folder: bytes}, {"layout": ..., "timing_cells": ...},
    {student: extension in seconds})."""
    with tempfile.TemporaryDirectory(prefix="autograder-template-") as scratch:
        template, release = gradebook.make_template(module, source, scratch)
        template_url = f"sqlite:///{template}"
        main = pathlib.Path(db_url[len("sqlite:///"):]) if db_url.startswith("sqlite:///") else None
        if main is not None and not main.exists():  # a new SQLite gradebook: start from the template
            main.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(template, main)
        gradebook.copy_assignment(template_url, db_url, module)
        extensions = gradebook.late_rules(db_url, template_url, module)
        layout = gradebook.layout(template_url, module)
        # The source notebooks hold the solutions: a student's kernel must not find them in its
        # course folder. nbgrader autograde needs only the other files (data) of source/.
        module_files = {"gradebook.db": template.read_bytes(),
                        **{f"source/{module}/{k}": v for k, v in collect.read_submission(source).items()
                           if not k.endswith(".ipynb")},
                        **{f"release/{module}/{path.name}": path.read_bytes() for path in release.glob("*.ipynb")}}
    timing = [grade_id for path in sorted(source.glob("*.ipynb"))
              for grade_id in fairness.timing_cells(nbformat.read(path, as_version=4))]
    return module_files, {"layout": layout, "timing_cells": timing}, extensions


def plan(module, submitted, results_dir, db_url, force, job, extensions):
    """(jobs, skipped): a job per student to grade; skipped, the students graded already with the
    same files (a result the gradebook lacks is merged again from the saved result)."""
    jobs, skipped = [], []
    for student in collect.students(submitted, module):
        files = collect.read_submission(submitted / student / module)
        saved = results_dir / f"{student}.json"
        if not force and saved.exists() and json.loads(saved.read_text())["checksum"] == collect.checksum(files):
            skipped.append(student)
            if not gradebook.has_submission(db_url, module, student):
                gradebook.merge(db_url, module, student, json.loads(saved.read_text()))
            continue
        jobs.append({**job, "student": student, "files": files, "checksum": collect.checksum(files),
                     "extension": extensions.get(student)})
    return jobs, skipped


def keep(out, module, db_url, results_dir, job, result):
    """Store a student's result, in this order: the grading log; then, if graded, the autograded
    notebooks and feedback, the gradebook merge and the saved result. Returns the error, if any."""
    student = job["student"]
    (results_dir / f"{student}.log").write_text(result.pop("log", ""))
    if not result["ok"]:
        return result["error"]
    _replace_tree(out / "autograded" / student / module, result.pop("autograded"))
    _replace_tree(out / "feedback" / student / module, result.pop("feedback"))
    gradebook.merge(db_url, module, student, result)
    _save(results_dir / f"{student}.json", json.dumps({**result, "checksum": job["checksum"]}))
    return None


def grade_on_dask(jobs, module_files, workers, scheduler, console, keep_result):
    """Run every job on Dask; keep_result(job, result) each result as it arrives (it returns the
    error of a failure). Returns ({student: error} of the failures, the number of Dask workers)."""
    errors, run_id = {}, jobs[0]["run_id"]
    lane = fairness.Lane(worker.lane_path(run_id))
    with dask_client(workers, scheduler) as client:
        count = len(client.nthreads())
        console.print(f"grading {len(jobs)} student(s) of {jobs[0]['module']} on {count} Dask worker(s)"
                      + (f"; dashboard {client.dashboard_link}" if client.dashboard_link else ""))
        shared = client.scatter([module_files], broadcast=True)[0]
        futures = {client.submit(worker.grade_student, job, shared, key=f"grade-{job['student']}-{run_id}",
                                 pure=False): job for job in jobs}
        columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
        with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
            bar = progress.add_task(f"grading {jobs[0]['module']}", total=len(jobs))
            for done, future in enumerate(as_completed(futures), 1):
                job = futures[future]
                try:
                    result = future.result()
                except Exception as error:  # the worker itself failed (KilledWorker, ...)
                    result = {"ok": False, "error": f"{type(error).__name__}: {error}", "log": ""}
                progress.console.print(report.line(done, len(jobs), job["student"], result))
                with lane.shared():  # like any other work on this machine: not during a timing cell
                    error = keep_result(job, result)
                if error:
                    errors[job["student"]] = error
                progress.advance(bar)
        client.run(worker.remove_lane, run_id)
    return errors, count


def grade_class(module, submissions=None, workers=None, scheduler=None, db=None, out=None, source=None, timeout=600.0,
                cell_timeout=None, memory_mb=4096, max_processes=None, regexp=None, force=False, console=None):
    """Grade every student of `module`; returns the run's summary (also in reports/MODULE/last-run.json)."""
    started = time.monotonic()
    use_environment()
    console = console or Console()
    out = pathlib.Path(out or DEFAULT_OUT).resolve()
    out.mkdir(parents=True, exist_ok=True)
    db_url = gradebook.database_url(db or f"sqlite:///{out / 'gradebook.db'}")
    source_root = pathlib.Path(source or SOURCE).resolve()
    if not (source_root / module).is_dir():
        raise SystemExit(f"no module {module!r} in {source_root}")
    submissions = pathlib.Path(submissions or DEFAULT_OUT / "submitted").resolve()
    submitted = submissions
    if submissions.is_file():  # an LMS zip: zip_collect reads the release notebooks' names from OUT's config
        write_config(out, db_url, source=source_root, release=RELEASE)
        submitted = collect.from_zip(submissions, module, out, regexp)
    write_config(out, db_url, source=source_root, release=RELEASE, submitted=submitted)
    results_dir = out / "results" / module
    results_dir.mkdir(parents=True, exist_ok=True)

    module_files, common, extensions = prepare_module(module, source_root / module, db_url)
    limits = {"timeout": timeout, "cell_timeout": cell_timeout, "memory_mb": memory_mb,
              "max_processes": max_processes or max(64, 4 * (os.cpu_count() or 1))}
    job = {"module": module, "run_id": uuid.uuid4().hex[:12], "limits": limits, **common}
    jobs, skipped = plan(module, submitted, results_dir, db_url, force, job, extensions)
    if skipped:
        console.print(f"{len(skipped)} student(s) already graded, skipped (--force regrades them)")
    errors, count = {}, 0
    if jobs:
        errors, count = grade_on_dask(jobs, module_files, workers or default_workers(), scheduler, console,
                                      lambda job, result: keep(out, module, db_url, results_dir, job, result))

    graded = sorted({j["student"] for j in jobs} - set(errors))
    results = {path.stem: json.loads(path.read_text()) for path in sorted(results_dir.glob("*.json"))}
    run = {"module": module, "graded": graded, "skipped": skipped, "errors": errors, "workers": count,
           "scheduler": scheduler, "seconds": time.monotonic() - started}
    folder = report.write_reports(out, module, db_url, results, run)
    console.print(report.summary_table(module, {s: r for s, r in results.items() if s in graded + skipped}))
    console.print(f"graded {len(graded)}, skipped {len(skipped)}, failed {len(errors)} in {run['seconds']:.0f} s; "
                  f"feedback in {out / 'feedback'}, grades in {out / 'grades.csv'}, reports in {folder}")
    for student, error in sorted(errors.items()):
        console.print(f"[red]not graded: {student}[/red] (log: {results_dir / (student + '.log')}):\n{error}")
    return run
