"""Fixtures of the browser tier: a scratch copy of the lessons served by JupyterLab, Chromium,
and a folder of screenshots (build/screenshots, which git ignores) for a person to look at."""

import re
import shutil

import nbformat
import pytest

from browser.lab import REPO, chromium, jupyterlab

SCREENSHOTS = REPO / "build" / "screenshots"


def completed(lesson, solution, target):
    """The lesson as a student who pasted in the solutions hands it in (markers removed)."""
    answers = {cell.metadata.nbgrader.grade_id: cell.source for cell in nbformat.read(solution, 4).cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    notebook = nbformat.read(lesson, 4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = re.sub(r"(?m)^[ \t]*### (BEGIN|END) SOLUTION\n", "", answers[cell.metadata.nbgrader.grade_id])
    nbformat.write(notebook, target)


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    """JupyterLab on a scratch copy of lessons/, plus <module>-completed/ copies with the
    solutions pasted in. Yields (base URL, token)."""
    root = tmp_path_factory.mktemp("site")
    site = shutil.copytree(REPO / "lessons", root / "lessons")
    for module in sorted(p.name for p in (REPO / "lessons").iterdir() if p.is_dir()):
        (site / f"{module}-completed").mkdir()
        for lesson in (site / module).glob("*.ipynb"):
            completed(lesson, REPO / "solutions" / module / lesson.name, site / f"{module}-completed" / lesson.name)
    with jupyterlab(site, root / "lab.log") as server:
        yield server


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as connected:
        yield connected


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()
