"""Where the course lives, and the nbgrader_config.py of every course folder the tool creates.

Each one loads the course's own configuration (autograder/nbgrader_config.py) and moves only
its folders and gradebook, so plain nbgrader commands work in any of them.
"""

import os
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
COURSE_CONFIG = REPO / "autograder" / "nbgrader_config.py"
SOURCE = REPO / "solutions"
RELEASE = REPO / "lessons"


def write_config(root, db_url, source=SOURCE, release=RELEASE, submitted="submitted", autograded="autograded",
                 feedback="feedback", extra=()):
    """Write root/nbgrader_config.py; folders may be absolute or relative to root."""
    lines = ["# Written by `python -m autograder`: the course's configuration, with this folder's paths.",
             "c = get_config()  # noqa: F821",
             f"load_subconfig({str(COURSE_CONFIG)!r})  # noqa: F821",
             f"c.CourseDirectory.root = {str(root)!r}",
             f"c.CourseDirectory.db_url = {db_url!r}"]
    for trait, value in (("source", source), ("release", release), ("submitted", submitted),
                         ("autograded", autograded), ("feedback", feedback)):
        lines.append(f"c.CourseDirectory.{trait}_directory = {str(value)!r}")
    pathlib.Path(root, "nbgrader_config.py").write_text("\n".join([*lines, *extra]) + "\n")


def use_environment():
    """nbgrader runs tools by name (alembic, when it creates a gradebook): this environment's first."""
    bin_dir = os.path.dirname(sys.executable)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
