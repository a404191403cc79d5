"""A one-exercise module made on the fly, for the tests that are about the tool, not a module:
resuming after a kill, LMS zips, process clean-up. Each student takes a few seconds to grade."""

import nbformat

ANSWER = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"


def _cell(source, grade_id, **flags):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade_id": grade_id, "grade": False, "solution": False,
                                 "locked": False, "task": False, **flags}
    return cell


def notebook(answer, sleep, hidden=True):
    tests = f"import time\ntime.sleep({sleep})\nassert double(3) == 6\n"
    if hidden:
        tests += "### BEGIN HIDDEN TESTS\nassert double(-2) == -4\n### END HIDDEN TESTS\n"
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Tiny: write `double`"),
        _cell(answer, "answer", solution=True),
        _cell(tests, "answer-tests", grade=True, locked=True, points=1.0),
    ])


def source(folder, sleep=2):
    """folder/tiny/tiny.ipynb: the instructor's source of the module `tiny`; returns folder."""
    (folder / "tiny").mkdir(parents=True)
    nbformat.write(notebook(ANSWER, sleep), folder / "tiny" / "tiny.ipynb")
    return folder


def submit(folder, student, right=True, sleep=2):
    """folder/<student>/tiny/tiny.ipynb: a right (1 point) or wrong (0 points) answer."""
    (folder / student / "tiny").mkdir(parents=True)
    answer = "def double(x):\n    return " + ("2 * x" if right else "x + 2") + "\n"
    nbformat.write(notebook(answer, sleep, hidden=False), folder / student / "tiny" / "tiny.ipynb")
