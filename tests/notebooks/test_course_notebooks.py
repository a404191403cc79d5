"""Every module, through the real nbgrader pipeline: lessons in sync, full marks, blank zero."""

import pathlib

import pytest

from conftest import MODULES, REPO
from notebooks.course import Course, notebook_cells


@pytest.fixture(scope="module", params=MODULES)
def graded(request, tmp_path_factory):
    """Generate the module's lessons afresh, then autograde two students:
    `solution` hands in the instructor's notebooks, `blank` the committed lessons untouched."""
    module = request.param
    course = Course(tmp_path_factory.mktemp(module))
    release = course.generate(module)
    sources = sorted((REPO / "solutions" / module).glob("*.ipynb"))
    course.submit("solution", module, {p.name: p for p in sources})
    course.submit("blank", module, {p.name: REPO / "lessons" / module / p.name for p in sources})
    course.nbgrader("autograde", module)
    return module, course, release


def test_committed_lessons_match_regenerated(graded):
    module, course, release = graded
    committed = REPO / "lessons" / module
    regenerated = sorted(p.relative_to(release) for p in release.rglob("*") if p.is_file())
    assert sorted(p.relative_to(committed) for p in committed.rglob("*") if p.is_file()) == regenerated, \
        f"lessons/{module} holds other files than nbgrader generates: run `make lessons`"
    for path in regenerated:
        if path.suffix == ".ipynb":
            assert notebook_cells(committed / path) == notebook_cells(release / path), \
                f"lessons/{module}/{path} differs from its solution: run `make lessons` and commit"
        else:
            assert (committed / path).read_bytes() == (release / path).read_bytes()


def test_solution_scores_full_marks(graded):
    module, course, _ = graded
    scores = course.scores(module, "solution")
    autograded = {cell: s for cell, s in scores.items() if not s[2]}
    assert autograded, f"{module} has no autograded cells"
    lost = {cell: f"{score}/{max_score}" for cell, (score, max_score, _) in autograded.items() if score != max_score}
    assert not lost, f"the solution of {module} lost points in: {lost}"
    assert any(manual for *_, manual in scores.values()), f"{module} needs a written answer graded by hand"


def test_blank_lesson_scores_zero(graded):
    module, course, _ = graded
    scores = course.scores(module, "blank")
    earned = {cell: score for cell, (score, _, manual) in scores.items() if not manual and score != 0}
    assert not earned, f"a blank {module} lesson earned points in: {earned}"
