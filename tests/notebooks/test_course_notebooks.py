"""Every module through the real nbgrader pipeline: lessons in sync, full marks within the
time and memory budget, blank lessons zero, and wrong answers losing exactly their points."""

import pytest

from repo import MODULES, REPO
from notebooks.course import Course, hand_ins, notebook_cells, with_edits

BUDGET_SECONDS, BUDGET_BYTES = 90, 1.5e9  # per solution notebook, on 2 cores


@pytest.fixture(scope="module", params=MODULES)
def graded(request, tmp_path_factory):
    """Generate the module's lessons afresh, then autograde: `solution` hands in the instructor's
    notebooks (alone, to measure its time and memory), then `blank` the committed lessons
    untouched and `sample-<k>` the wrong-answer samples, packed (see hand_ins)."""
    module = request.param
    course = Course(tmp_path_factory.mktemp(module))
    release = course.generate(module)
    sources = sorted((REPO / "solutions" / module).glob("*.ipynb"))
    course.submit("solution", module, {p.name: p for p in sources})
    cost = course.nbgrader("autograde", module, "--student", "solution")
    course.submit("blank", module, {p.name: REPO / "lessons" / module / p.name for p in sources})
    for k, (notebook, group) in enumerate(hand_ins(module)):
        edited = course.root / f"sample-{k}.ipynb"
        edits = {cell: source for sample in group.values() for cell, source in sample["edits"].items()}
        with_edits(REPO / "solutions" / module / notebook, edits, edited)
        course.submit(f"sample-{k}", module, {notebook: edited})
    course.nbgrader("autograde", module)  # the students not graded yet
    return module, course, release, cost


def test_committed_lessons_match_regenerated(graded):
    module, course, release, _ = graded
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


def test_solution_scores_full_marks_within_budget(graded):
    module, course, _, (seconds, peak) = graded
    print(f"{module}: solution autograded in {seconds:.1f} s, peak memory {peak / 2**20:.0f} MiB")
    assert seconds < BUDGET_SECONDS, f"{module}'s solution took {seconds:.0f} s to grade (budget {BUDGET_SECONDS} s)"
    assert peak < BUDGET_BYTES, f"{module}'s solution peaked at {peak / 2**20:.0f} MiB (budget 1.5 GB)"
    scores = course.scores(module, "solution")
    autograded = {cell: s for cell, s in scores.items() if not s[2]}
    assert autograded, f"{module} has no autograded cells"
    lost = {cell: f"{score}/{max_score}" for cell, (score, max_score, _) in autograded.items() if score != max_score}
    assert not lost, f"the solution of {module} lost points in: {lost}\n{course.errors(module, 'solution')}"
    assert any(manual for *_, manual in scores.values()), f"{module} needs a written answer graded by hand"


def test_blank_lesson_scores_zero(graded):
    module, course, _, _ = graded
    scores = course.scores(module, "blank")
    earned = {cell: score for cell, (score, _, manual) in scores.items() if not manual and score != 0}
    assert not earned, f"a blank {module} lesson earned points in: {earned}"


def test_wrong_answers_lose_exactly_their_points(graded):
    module, course, _, _ = graded
    for k, (_, group) in enumerate(hand_ins(module)):
        scores = course.scores(module, f"sample-{k}")
        expected = {cell: score for sample in group.values() for cell, score in sample["scores"].items()}
        got = {cell: score for (_, cell), (score, _, manual) in scores.items() if not manual}
        want = {cell: expected.get(cell, max_score) for (_, cell), (_, max_score, manual) in scores.items()
                if not manual}
        wrong = {cell: f"scored {got[cell]}, expected {want[cell]}" for cell in want if got[cell] != want[cell]}
        which = "; ".join(f"{name} ({sample['why']})" for name, sample in group.items())
        assert not wrong, f"{module} samples {which}: {wrong}\n{course.errors(module, f'sample-{k}')}"
