"""nbgrader configuration of the course. Run nbgrader commands from this folder.

The course directory is the repository: instructors edit solutions/ (nbgrader's source),
`nbgrader generate_assignment` writes lessons/ (the release), and a class's submissions,
grades and feedback live in autograder/class/, which git ignores.
"""

import importlib.util
import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

here = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = os.path.dirname(here)
c.CourseDirectory.course_id = "scaling-ml"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "lessons"
c.CourseDirectory.submitted_directory = "autograder/class/submitted"
c.CourseDirectory.autograded_directory = "autograder/class/autograded"
c.CourseDirectory.feedback_directory = "autograder/class/feedback"
os.makedirs(os.path.join(here, "class", "exchange"), exist_ok=True)  # gradebook and exchange live here
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "class", "gradebook.db")
c.Exchange.root = os.path.join(here, "class", "exchange")
# Lessons carry the helper data files of a module; never ship solutions' scratch output.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]

# A student who deletes a test cell gets it back before grading.
c.OverwriteCells.add_missing_cells = True
# Feedback never shows hidden tests: not their lines, not the tracebacks that quote them, not a
# student's output that prints them.
_spec = importlib.util.spec_from_file_location("autograder_feedback", os.path.join(here, "feedback.py"))
_feedback = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_feedback)
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    _feedback.HideHiddenTests,  # before ClearHiddenTests, which removes the marker it looks for
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# A slow or stuck cell is stopped, not waited on forever.
c.ExecutePreprocessor.timeout = 300
# An LMS download for `nbgrader zip_collect` (and `python -m autograder grade --submissions X.zip`):
# one folder per student inside the archive, e.g. alice/00-measuring-scale.ipynb.
c.FileNameCollectorPlugin.named_regexp = r".*/(?P<student_id>[^/]+)/(?P<file_id>[^/]+\.ipynb)$"
