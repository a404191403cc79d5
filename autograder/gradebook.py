"""The gradebooks of a class run: one private SQLite gradebook per student, merged into the main one.

Parallel writers cannot lose or corrupt rows because there are none: every student is graded
against a private copy of a *template* gradebook (the assignment and nothing else), and only
the coordinating process writes to the main gradebook (SQLite, or PostgreSQL by URL), one
student at a time, through nbgrader's own Gradebook API, with the same rules as nbgrader's
SaveAutoGrades (a manual score is kept, and then the cell is marked for review). A merge is
idempotent, so a student merged twice (a run killed between merge and bookkeeping) is fine.
"""

import pathlib
import random
import shutil
import time
import warnings

from nbgrader.api import Gradebook, InvalidEntry, MissingEntry
from nbgrader.apps import GenerateAssignmentApp
from nbgrader.converters import GenerateAssignment, NbGraderException
from nbgrader.plugins import CsvExportPlugin
from sqlalchemy.exc import OperationalError, SAWarning

from .course import write_config


def make_template(module, source, scratch):
    """nbgrader's generate_assignment in a scratch course: a gradebook holding only the assignment.

    Returns (template gradebook path, release folder)."""
    scratch = pathlib.Path(scratch)
    shutil.copytree(source, scratch / "source" / module, ignore=shutil.ignore_patterns(".*", "__pycache__"))
    db = scratch / "template.db"
    write_config(scratch, db_url=f"sqlite:///{db}", source=scratch / "source", release=scratch / "release")
    app = GenerateAssignmentApp()
    app.initialize([f"--CourseDirectory.root={scratch}", f"--CourseDirectory.assignment_id={module}", "--force",
                    "--log-level=ERROR"])
    try:
        GenerateAssignment(coursedir=app.coursedir, parent=app).start()
    except NbGraderException as error:
        raise RuntimeError(f"nbgrader generate_assignment {module} failed: {error}") from error
    return db, scratch / "release" / module


def export_csv(db_url, path):
    """nbgrader's own CSV export (what `nbgrader export` writes), every assignment and student."""
    with Gradebook(db_url) as book:
        CsvExportPlugin(to=str(path)).export(book)


def layout(db_url, module):
    """{notebook: {"grade": [grade_ids], "cells": [every nbgrader cell id]}} of an assignment."""
    with Gradebook(db_url) as gradebook:
        return {notebook.name: {"grade": [cell.name for cell in notebook.grade_cells],
                                "cells": [cell.name for cell in notebook.source_cells]}
                for notebook in gradebook.find_assignment(module).notebooks}


def database_url(url):
    """SQLAlchemy 2 reads postgresql:// as psycopg 3; this environment has psycopg2."""
    if url.startswith(("postgresql://", "postgres://")):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def _retry(action, attempts=30):
    """Another program writing at the same time makes SQLite answer 'database is locked', or makes
    two inserts of the same row collide (InvalidEntry): every write here is idempotent, so wait
    a little and write again."""
    for attempt in range(attempts):
        try:
            return action()
        except (OperationalError, InvalidEntry):
            if attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0.05, 0.25) * min(attempt + 1, 8))


def copy_assignment(template_url, db_url, module):
    """Give the main gradebook the assignment's definition (what generate_assignment writes)."""
    def copy():
        with Gradebook(template_url) as source, Gradebook(db_url) as target:
            assignment = source.find_assignment(module)
            try:
                target.find_assignment(module)  # keep the due date an instructor may have set
            except MissingEntry:
                target.update_or_create_assignment(module, duedate=assignment.duedate)
            for notebook in assignment.notebooks:
                target.update_or_create_notebook(notebook.name, module)
                for cell in notebook.source_cells:
                    target.update_or_create_source_cell(cell.name, notebook.name, module, cell_type=cell.cell_type,
                                                        locked=cell.locked, source=cell.source,
                                                        checksum=cell.checksum)
                for cell in notebook.grade_cells:
                    target.update_or_create_grade_cell(cell.name, notebook.name, module, max_score=cell.max_score,
                                                       cell_type=cell.cell_type)
                for cell in notebook.solution_cells:
                    target.update_or_create_solution_cell(cell.name, notebook.name, module)
                for cell in notebook.task_cells:
                    target.update_or_create_task_cell(cell.name, notebook.name, module, max_score=cell.max_score,
                                                      cell_type=cell.cell_type)
    _retry(copy)


def late_rules(db_url, template_url, module):
    """The main gradebook's due date goes into the template (so nbgrader's late penalty sees it);
    returns each student's extension in seconds, which the private gradebooks need too."""
    with Gradebook(db_url) as main:
        assignment = main.find_assignment(module)
        duedate = assignment.duedate
        extensions = {s.student.id: s.extension.total_seconds() for s in assignment.submissions if s.extension}
    with Gradebook(template_url) as template:
        template.update_or_create_assignment(module, duedate=duedate)
    return extensions


def grant_extension(db_url, module, student, seconds):
    with Gradebook(db_url) as book:
        book.update_or_create_student(student)
        book.update_or_create_submission(module, student)
        book.grant_extension(module, student, minutes=seconds / 60)


def read_submission(db_url, module, student):
    """What a (private) gradebook holds for one student: the part of a result that is merged."""
    with Gradebook(db_url) as gradebook:
        submission = gradebook.find_submission(module, student)
        return {"timestamp": submission.timestamp.isoformat() if submission.timestamp else None,
                "notebooks": {notebook.name: {
                    "cells": {grade.name: [grade.auto_score, grade.max_score] for grade in notebook.grades},
                    "comments": {comment.name: comment.auto_comment for comment in notebook.comments},
                    "late_penalty": notebook.late_submission_penalty,
                } for notebook in submission.notebooks}}


def merge(db_url, module, student, result):
    """Write one student's autograde result into the main gradebook (idempotent)."""
    def write():
        with Gradebook(db_url) as gradebook, warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission autoflushes half-built rows
            gradebook.update_or_create_student(student)
            extra = {"timestamp": result["timestamp"]} if result["timestamp"] else {}
            gradebook.update_or_create_submission(module, student, **extra)
            for name, notebook in result["notebooks"].items():
                row = gradebook.find_submission_notebook(name, module, student)
                for cell, (auto_score, _) in notebook["cells"].items():
                    grade = gradebook.find_grade(cell, name, module, student)
                    grade.auto_score = auto_score
                    grade.needs_manual_grade = grade.manual_score is not None or auto_score is None
                for cell, auto_comment in notebook["comments"].items():
                    gradebook.find_comment(cell, name, module, student).auto_comment = auto_comment
                row.late_submission_penalty = notebook["late_penalty"]
                row.flagged = row.flagged or bool(notebook.get("integrity"))
            gradebook.db.commit()
    _retry(write)


def has_submission(db_url, module, student):
    with Gradebook(db_url) as gradebook:
        try:
            gradebook.find_submission(module, student)
        except MissingEntry:
            return False
        return True


def cell_rows(db_url, module):
    """(student, notebook, cell, score, max_score, needs_manual_grade) for every graded cell of a module."""
    rows = []
    with Gradebook(db_url) as gradebook:
        for submission in gradebook.find_assignment(module).submissions:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    rows.append((submission.student.id, notebook.name, grade.name, grade.score, grade.max_score,
                                 grade.needs_manual_grade))
    return sorted(rows)

