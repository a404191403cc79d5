"""Grade one student in a private course folder: `python -m autograder.student FOLDER`.

FOLDER (written by worker.py) holds nbgrader_config.py, job.json, the module's source and
release, a private copy of the template gradebook and a copy of the submission in nbgrader's
layout.
Nothing outside FOLDER is written. Steps:

1. read every handed-in notebook: an unreadable one (broken JSON, an empty file) is set aside
   and scores 0; a notebook under another name is graded under the expected one when its cell
   ids say which it is; anything else is reported, not silently skipped;
2. scan the code for tampering (integrity.py), before anything runs;
3. nbgrader autograde with the sandboxed, fault-tolerant converter (converter.py);
4. nbgrader generate_feedback (hidden tests removed by the course configuration), plus a page
   for each notebook that could not be read;
5. write result.json: scores and comments from the private gradebook, events, integrity flags.
"""

import ctypes
import html
import json
import pathlib
import sys
import time
import traceback

import nbformat
from nbgrader.apps import AutogradeApp
from nbgrader.converters import GenerateFeedback

from . import gradebook, integrity
from .converter import SafeAutograde, zero_notebook
from .fairness import Lane


def read_notebooks(folder):
    """({name: notebook}, {name: error}) for every .ipynb in folder."""
    readable, unreadable = {}, {}
    for path in sorted(folder.glob("*.ipynb")):
        try:
            readable[path.stem] = nbformat.read(path, as_version=4)
        except Exception as error:  # broken JSON, an empty file, not a notebook at all
            unreadable[path.stem] = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return readable, unreadable


def cell_ids(notebook):
    return {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in notebook.cells} - {None}


def match_renamed(readable, expected):
    """{handed-in name: expected name} for notebooks handed in under another name.

    A notebook with an unknown name stands for the missing expected notebook whose cell ids it
    shares most; ties go to the first name in order."""
    renamed = {}
    missing = [name for name in expected if name not in readable]
    for name in sorted(set(readable) - set(expected)):
        overlaps = [(len(cell_ids(readable[name]) & set(expected[m]["cells"])), m) for m in missing]
        best = max(overlaps, key=lambda pair: pair[0], default=(0, None))
        if best[0] > 0:
            renamed[name] = best[1]
            missing.remove(best[1])
    return renamed


def feedback_page(student, notebook, message):
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(notebook)}</title></head>"
            f"<body><h1>{html.escape(notebook)}.ipynb: {html.escape(student)}</h1>"
            f"<p>{html.escape(message)}</p><p>Score: 0. Ask your instructor if you think this is wrong.</p>"
            "</body></html>\n")


def sort_out(folder, expected, module, set_aside):
    """Step 1: which notebooks nbgrader will grade, under which names; the rest is set aside.

    Returns ({name: notebook} to grade, {name or "" (the submission as a whole): [events]})."""
    events = {name: [] for name in expected}
    events[""] = []
    readable, unreadable = read_notebooks(folder)
    renamed = match_renamed(readable, expected)
    for name, error in unreadable.items():
        (folder / f"{name}.ipynb").rename(set_aside / f"{name}.ipynb")
        events[name if name in expected else ""].append(
            ("unreadable", f"'{name}.ipynb' could not be read as a notebook ({error}); it scores 0"))
    for name in sorted(set(readable) - set(expected)):
        if name in renamed:
            graded_as = renamed[name]
            (folder / f"{name}.ipynb").rename(folder / f"{graded_as}.ipynb")
            readable[graded_as] = readable.pop(name)
            events[graded_as].append(("renamed", f"handed in as '{name}.ipynb' and graded as '{graded_as}.ipynb'"))
        else:
            (folder / f"{name}.ipynb").rename(set_aside / f"{name}.ipynb")
            del readable[name]
            events[""].append(("extra-file", f"'{name}.ipynb' is not part of {module} and was not graded"))
    for name in expected:
        if name not in readable and name not in unreadable:
            events[name].append(("missing", f"'{name}.ipynb' was not handed in; it scores 0"))
    return readable, events


def grade(root):
    job = json.loads((root / "job.json").read_text())
    module, student, expected = job["module"], job["student"], job["layout"]
    set_aside = root / "set-aside"
    set_aside.mkdir()
    readable, events = sort_out(root / "submitted" / student / module, expected, module, set_aside)

    # Step 2: the integrity scan, before anything runs; code the lesson gives is not the student's.
    lesson_code = [cell.source for path in (root / "release" / module).glob("*.ipynb")
                   for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    flags = {name: integrity.scan_notebook(notebook, lesson_code) for name, notebook in readable.items()}

    # Step 3: nbgrader autograde, with the course's configuration and the robust converter.
    app = AutogradeApp()
    app.initialize([f"--CourseDirectory.root={root}", f"--CourseDirectory.assignment_id={module}",
                    f"--CourseDirectory.student_id={student}", "--log-level=INFO"])
    db_url = app.coursedir.db_url
    if job["extension"]:  # granted in the main gradebook: the late penalty must see it
        gradebook.grant_extension(db_url, module, student, job["extension"])
    converter = SafeAutograde(coursedir=app.coursedir, parent=app)
    if readable:
        converter.start()
    for name in expected:
        events[name].extend(converter.events.get(name, []))
        if name not in readable:
            zero_notebook(db_url, name, module, student)
    # Step 4: nbgrader's feedback, and a page for each notebook it could not grade.
    feedback_root = root / "feedback" / student / module
    if any((root / "autograded" / student / module).glob("*.ipynb")):
        lane = Lane(job["lane"])
        with lane.shared():
            GenerateFeedback(coursedir=app.coursedir, parent=app).start()
        converter.lane["held"] += lane.held
    feedback_root.mkdir(parents=True, exist_ok=True)
    for name in expected:
        autograded = root / "autograded" / student / module / f"{name}.ipynb"
        if not autograded.exists():
            why = " ".join(message for _, message in events[name]) or "it could not be graded"
            (feedback_root / f"{name}.html").write_text(feedback_page(student, name, why))
        elif any(out.get("ename") == "MemoryError"
                 for cell in nbformat.read(autograded, as_version=4).cells for out in cell.get("outputs", [])):
            events[name].append(("memory", f"a cell ran past the memory cap ({job['memory_mb']} MiB per process) "
                                           "and raised MemoryError"))

    # Step 5: what the private gradebook holds, with what happened.
    result = gradebook.read_submission(db_url, module, student)
    for name, notebook in result["notebooks"].items():
        notebook["events"] = events[name]
        notebook["integrity"] = flags.get(name, [])
    result["events"] = events[""]
    result["lane"] = converter.lane
    return result


def main(root):
    root = pathlib.Path(root)
    started = time.monotonic()
    if sys.platform.startswith("linux"):  # PR_SET_CHILD_SUBREAPER: what a kernel detaches stays ours to kill
        ctypes.CDLL(None).prctl(36, 1)
    try:
        result = {"ok": True, **grade(root)}
    except Exception:
        result = {"ok": False, "error": traceback.format_exc()}
    result["seconds"] = time.monotonic() - started
    (root / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
