"""Feedback never shows hidden tests: not their lines, not a traceback quoting them."""

import html
import re

import nbformat
from nbconvert import HTMLExporter
from traitlets.config.loader import PyFileConfigLoader

from repo import REPO

HIDDEN_LINE = "assert double(-2) == -4, 'double(-2) should be -4'"


def failed_hidden_test():
    source = f"assert double(3) == 6\n### BEGIN HIDDEN TESTS\n{HIDDEN_LINE}\n### END HIDDEN TESTS\n"
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade_id": "double-tests", "grade": True, "solution": False,
                                 "locked": True, "task": False, "points": 1.0}
    # What IPython shows when the hidden assertion fails: the traceback quotes the hidden line.
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="double(-2) should be -4",
                                           traceback=["AssertionError Traceback", f"----> 3 {HIDDEN_LINE}",
                                                      "AssertionError: double(-2) should be -4"])]
    return nbformat.v4.new_notebook(cells=[cell])


def feedback_text(notebook):
    """The text a student reads in the course's feedback page for `notebook`."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO / "autograder")).load_config()
    exporter = HTMLExporter()
    for preprocessor in config.GenerateFeedback.preprocessors:
        if "GetGrades" not in str(preprocessor):  # reads scores from a gradebook: not what is tested here
            exporter.register_preprocessor(preprocessor)  # as nbgrader's converters do: not enabled here
    page, _ = exporter.from_notebook_node(notebook)
    return html.unescape(re.sub(r"<[^>]+>", "", page))  # the text a student reads


def test_the_course_feedback_hides_hidden_lines_and_their_tracebacks():
    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO / "autograder")).load_config()
    assert "nbgrader.preprocessors.ClearHiddenTests" in config.GenerateFeedback.preprocessors
    page = feedback_text(failed_hidden_test())
    assert "double(-2) == -4" not in page, "the hidden test shows in the feedback"
    assert "double(-2) should be -4" in page, "the error's message (written for students) should stay"
    assert "double(3) == 6" in page, "the visible test should stay"

def test_hidden_lines_that_a_student_prints_are_removed_from_feedback():
    """Student code can read the grading course's gradebook (it holds every test cell) and print it."""
    notebook = failed_hidden_test()
    leak = nbformat.v4.new_code_cell("import sqlite3\nfor (text,) in sqlite3.connect(GRADEBOOK).execute(...): print(text)")
    leak.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=f"assert double(3) == 6\n{HIDDEN_LINE}\nthe end\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": repr(HIDDEN_LINE),
                                                       "text/html": f"<pre>{html.escape(HIDDEN_LINE)}</pre>"}),
        nbformat.v4.new_output("error", ename="ValueError", evalue=HIDDEN_LINE, traceback=[f"ValueError: {HIDDEN_LINE}"]),
    ]
    notebook.cells.insert(0, leak)
    page = feedback_text(notebook)
    assert "double(-2) == -4" not in page, "a hidden line the student printed shows in the feedback"
    assert "not shown in feedback" in page, "the feedback should say a line was removed"
    assert "the end" in page and "double(3) == 6" in page, "the rest of the output should stay"
