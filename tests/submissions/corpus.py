"""The submission corpus: what students hand in, and exactly what each must score.

Every case starts from the module's lesson with the instructor's solutions typed in (what a
good student hands in) and breaks one thing. Generic cases are made for any module from its
notebooks; module-specific cases (partial, slow, memoised, hard-coded ...) come from
tests/submissions/corpus/<module>.py, after its notebook-tier samples where it says WITH_SAMPLES:

    NOTEBOOK = "00-measuring-scale.ipynb"   # the notebook the cases edit (default: the first)
    TARGET = "speedup-efficiency"           # the solution cell generic cases break (default: the
                                            # middle code solution cell)
    NEEDS_TARGET = ["speedup-efficiency-tests"]  # test cells that fail without it (default: those
                                            # that read a name TARGET binds, directly or through
                                            # later cells that read one)
    CASES = {"name": {"why": ..., "edits": {grade_id: new source}, "scores": {grade_id: score},
                      "events": [...], "flags": [...]}}
    WITH_SAMPLES = True                     # the module's notebook-tier samples come first

Expected scores: every autograded cell keeps full marks unless the case says otherwise; a
manually graded answer stays to be graded by hand (None), or scores 0 when nothing was
written. A case breaks TARGET either without killing the kernel (only NEEDS_TARGET fail) or by
killing it (every test cell from TARGET on scores 0, every cell before keeps its points).
"""

import ast
import copy
import pathlib
import runpy

import nbformat

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent  # also when run as a script (the table printer below)

LOOP = "while True:\n    pass\n"
BARE_EXCEPT_LOOP = "while True:\n    try:\n        while True:\n            pass\n    except:\n        pass\n"
MEMORY_HOG = ("import numpy as np\n"
              "blocks = [np.zeros(2**24) for _ in range(100_000)]  # 128 MiB at a time, up to 12 TiB\n")
FORK_LOOP = ("import os, time\n"
             "while True:\n    if os.fork() == 0:\n        time.sleep(600)\n        os._exit(0)\n")
SYS_EXIT = "import sys\nsys.exit('giving up here')\n"
OS_EXIT = "import os\nos._exit(3)\n"
SEGFAULT = "import ctypes\nctypes.string_at(0)  # reads address 0: SIGSEGV\n"
# The kernel runs three folders below its grading course (autograded/STUDENT/MODULE): the
# gradebook there holds every test cell, hidden tests included; the solutions are not there.
READS_GRADEBOOK = ("\nimport glob, sqlite3\n"
                   "for _db in glob.glob('../../../gradebook.db'):\n"
                   "    for (_text,) in sqlite3.connect(_db).execute('SELECT source FROM source_cell'):\n"
                   "        print(_text)\n"
                   "print('source notebooks found:', len(glob.glob('../../../source/*/*.ipynb')))\n")
CLOCK_PATCH = ("\nimport os, time\n_real_clock = time.perf_counter\n"
               "time.perf_counter = lambda: _real_clock()  # same clock, patched all the same\n"
               "graded = os.environ.get('NBGRADER_EXECUTION') == 'autograde'\n")


def definition(module):
    """tests/submissions/corpus/<module>.py. Its CASES follow the module's wrong-answer samples of the
    notebook tier (tests/notebooks/samples/<module>.py: the same edits-and-scores format) where it
    sets WITH_SAMPLES = True; a module without a corpus file has just those samples."""
    path = HERE / "corpus" / f"{module}.py"
    found = runpy.run_path(str(path)) if path.exists() else {"WITH_SAMPLES": True}
    samples = REPO / "tests" / "notebooks" / "samples" / f"{module}.py"
    if found.get("WITH_SAMPLES") and samples.exists():
        tier = runpy.run_path(str(samples))
        found = {"NOTEBOOK": tier["NOTEBOOK"], **found, "CASES": {**tier["SAMPLES"], **found.get("CASES", {})}}
    return found


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def _without_markers(source):
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


NAMED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
SCOPES = NAMED_SCOPES + (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _names(source):
    """(global names a cell reads, global names it binds); IPython magics left out. A function's
    parameters and locals, and a comprehension's variables, are neither."""
    code = "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    read, bound = set(), set()

    def visit(node, top, local):
        if isinstance(node, SCOPES):
            if top and isinstance(node, NAMED_SCOPES):
                bound.add(node.name)
            args = node.args if isinstance(getattr(node, "args", None), ast.arguments) else None
            params = {a.arg for a in ast.walk(args) if isinstance(a, ast.arg)} if args else set()
            stores = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
            top, local = False, local | params | stores
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                read.update({node.id} - local)
            elif top:
                bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and top:
            bound.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child, top, local)

    visit(ast.parse(code), True, frozenset())
    return read, bound


def correct_notebook(module, name):
    """The lesson with every solution cell answered as in the instructor's source."""
    lesson = nbformat.read(REPO / "lessons" / module / name, as_version=4)
    solution = nbformat.read(REPO / "solutions" / module / name, as_version=4)
    answers = {_meta(cell)["grade_id"]: _without_markers(cell.source) for cell in solution.cells
               if _meta(cell).get("solution")}
    for cell in lesson.cells:
        if _meta(cell).get("solution"):
            cell.source = answers[_meta(cell)["grade_id"]]
    return lesson


class Module:
    """A module's notebooks, graded cells and the definition of its cases."""

    def __init__(self, module):
        self.module = module
        self.definition = definition(module)
        self.names = sorted(p.name for p in (REPO / "lessons" / module).glob("*.ipynb"))
        self.notebook = self.definition.get("NOTEBOOK", self.names[0])
        self.correct = {name: correct_notebook(module, name) for name in self.names}
        cells = self.correct[self.notebook].cells
        self.order = [_meta(c)["grade_id"] for c in cells if _meta(c).get("grade_id")]
        answers = [_meta(c)["grade_id"] for c in cells
                   if _meta(c).get("solution") and not _meta(c).get("grade") and c.cell_type == "code"]
        self.target = self.definition.get("TARGET", answers[len(answers) // 2])
        self.tests = {name: [(_meta(c)["grade_id"], float(_meta(c)["points"]), c.cell_type == "code"
                              and not _meta(c).get("solution"))
                             for c in nb.cells if _meta(c).get("grade")] for name, nb in self.correct.items()}
        autograded = {g for g, _, auto in self.tests[self.notebook] if auto}
        source = nbformat.read(REPO / "solutions" / module / self.notebook, as_version=4)  # hidden tests too
        self.needs_target = self.definition.get("NEEDS_TARGET") or self._needing(source.cells, autograded)
        self.first_test = next(g for g in self.order if g in autograded)

    def _needing(self, cells, autograded):
        """Test cells that fail when TARGET raises before binding anything: those that read a name
        only TARGET binds, or one bound by a later cell that read such a name (and so raised too)."""
        code = [cell for cell in cells if cell.cell_type == "code"]
        at = next(i for i, cell in enumerate(code) if _meta(cell).get("grade_id") == self.target)
        before = set().union(*(_names(cell.source)[1] for cell in code[:at]))
        missing, needing = _names(code[at].source)[1] - before, []
        for cell in code[at + 1:]:
            read, bound = _names(cell.source)
            if (read - bound) & missing:  # a name the cell binds itself is its own
                if _meta(cell).get("grade_id") in autograded:
                    needing.append(_meta(cell)["grade_id"])
                missing |= bound - before
            else:
                missing -= bound
        return needing

    def cell(self, notebook, grade_id):
        return next(c for c in notebook.cells if _meta(c).get("grade_id") == grade_id)

    def scores(self, lost=(), blank=False):
        """{(notebook, grade_id): expected auto score}; `lost` cells of NOTEBOOK score 0 (or a given value)."""
        lost = lost if isinstance(lost, dict) else {g: 0.0 for g in lost}
        expected = {}
        for name, tests in self.tests.items():
            for grade_id, points, auto in tests:
                if blank:
                    expected[(name, grade_id)] = 0.0
                elif name == self.notebook and grade_id in lost:
                    expected[(name, grade_id)] = float(lost[grade_id])
                else:
                    expected[(name, grade_id)] = points if auto else None
        return expected

    def from_target_on(self):
        """Autograded cells of NOTEBOOK at or after TARGET: what a dead kernel there costs."""
        after = set(self.order[self.order.index(self.target):])
        return [g for g, _, auto in self.tests[self.notebook] if auto and g in after]


def _write(folder, files):
    folder.mkdir(parents=True)
    for name, content in files.items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            nbformat.write(content, folder / name)
    (folder / "timestamp.txt").write_text("2026-11-22 12:00:00.000000 UTC")


def build(module, folder):
    """Write the corpus of `module` into folder/<case>/<module>/ and return the table of expectations:
    {case: {"why", "scores": {(notebook, grade_id): score or None}, "events": set, "flags": set}}."""
    m = Module(module)
    folder = pathlib.Path(folder)
    table = {}

    def case(name, why, notebook=None, lost=(), events=(), flags=(), blank=False, files=None):
        files = files or {**m.correct, **({m.notebook: notebook} if notebook is not None else {})}
        _write(folder / name / module, files)
        table[name] = {"why": why, "scores": m.scores(lost, blank), "events": set(events), "flags": set(flags)}

    def edited(edits=None, prepend=None, append=None, cell_type=None):
        notebook = copy.deepcopy(m.correct[m.notebook])
        for grade_id, source in (edits or {}).items():
            m.cell(notebook, grade_id).source = source
        target = m.cell(notebook, m.target)
        target.source = (prepend or "") + target.source + (append or "")
        if cell_type:
            target.cell_type = cell_type
            target.pop("outputs", None)
            target.pop("execution_count", None)
        return notebook

    lessons = {name: nbformat.read(REPO / "lessons" / module / name, as_version=4) for name in m.names}
    dead = m.from_target_on()
    case("correct", "the instructor's solutions typed into the lesson", edited())
    case("blank", "the lesson handed in untouched", files=lessons, blank=True)
    broken = nbformat.writes(m.correct[m.notebook]).encode()
    case("broken-json", "the notebook's JSON cut off half-way",
         files={**m.correct, m.notebook: broken[:len(broken) // 2]},
         lost=[g for g, _, _ in m.tests[m.notebook]], events=["unreadable"])
    case("empty-file", "an empty file instead of the notebook", files={**m.correct, m.notebook: b""},
         lost=[g for g, _, _ in m.tests[m.notebook]], events=["unreadable"])
    renamed = {name: nb for name, nb in m.correct.items() if name != m.notebook}
    renamed[m.notebook.replace(".ipynb", "-Copy1.ipynb")] = m.correct[m.notebook]
    case("renamed", "the notebook handed in as <name>-Copy1.ipynb", files=renamed, events=["renamed"])
    case("infinite-loop", "an endless loop in an answer: interrupted, the rest runs", edited(prepend=LOOP),
         lost=m.needs_target, events=["timeout"])
    case("loop-bare-except", "an endless loop inside a bare except: the kernel is killed",
         edited(prepend=BARE_EXCEPT_LOOP),
         lost=dead, events=["timeout", "kernel-died"])
    case("memory-hog", "allocates until the memory cap stops it (MemoryError)", edited(prepend=MEMORY_HOG),
         lost=m.needs_target, events=["memory"])
    case("fork-loop", "starts processes in a loop until the process cap stops the kernel", edited(prepend=FORK_LOOP),
         lost=dead, events=["kernel-died"])
    case("sys-exit", "sys.exit() in an answer: IPython catches it, the rest runs", edited(prepend=SYS_EXIT),
         lost=m.needs_target)
    case("os-exit", "os._exit() in an answer: the kernel dies", edited(prepend=OS_EXIT), lost=dead,
         events=["kernel-died"])
    case("segfault", "a segmentation fault in an answer: the kernel dies", edited(prepend=SEGFAULT), lost=dead,
         events=["kernel-died"])
    case("clock-patch", "patches time.perf_counter (harmlessly) and checks NBGRADER_EXECUTION",
         edited(append=CLOCK_PATCH), flags=["clock", "nbgrader-env"])
    case("reads-gradebook", "prints every test cell from the grading course's gradebook (feedback must "
         "not show the hidden ones) and looks for the solutions", edited(append=READS_GRADEBOOK),
         flags=["course-files"])
    case("edited-test", "a test cell emptied: nbgrader restores it",
         edited({m.first_test: "assert True  # no more tests"}),
         events=["edited-cell"])
    deleted = copy.deepcopy(m.correct[m.notebook])
    deleted.cells.remove(m.cell(deleted, m.first_test))
    case("deleted-test", "a test cell deleted: nbgrader puts it back", deleted, events=["deleted-cell"])
    duplicated = copy.deepcopy(m.correct[m.notebook])
    test = m.cell(duplicated, m.first_test)
    twin = copy.deepcopy(test)
    twin.id = f"{test.id[:50]}-copy"  # JupyterLab gives a pasted cell its own id; the grade_id stays
    duplicated.cells.insert(duplicated.cells.index(test) + 1, twin)
    case("duplicated-test", "a test cell duplicated: graded once, not a stopped run", duplicated,
         events=["duplicated-cell"])
    case("cell-type-changed", "an answer cell turned into markdown: changed back and run",
         edited(cell_type="markdown"), events=["cell-type-changed"])
    for name, spec in m.definition.get("CASES", {}).items():
        case(name, spec["why"], edited(spec["edits"]), lost=spec.get("scores", {}), events=spec.get("events", ()),
             flags=spec.get("flags", ()))
    return table


def limits(module):
    """Command-line limits for grading a module's corpus (the definition's LIMITS override them)."""
    chosen = {"--cell-timeout": 60, "--timeout": 600, "--memory": 3072, "--processes": 32,
              **definition(module).get("LIMITS", {})}
    return [str(item) for pair in chosen.items() for item in pair]


if __name__ == "__main__":  # print the table: python tests/submissions/corpus.py [MODULE]
    import sys
    import tempfile

    module = sys.argv[1] if len(sys.argv) > 1 else "00-measuring-scale"
    with tempfile.TemporaryDirectory() as scratch:
        table = build(module, pathlib.Path(scratch))
    cells = [cell for _, cell in next(iter(table.values()))["scores"]]
    print(f"| case | {' | '.join(cells)} | events | integrity flags |")
    print("|---" * (len(cells) + 3) + "|")
    for case, want in table.items():
        scores = ["manual" if s is None else f"{s:g}" for s in want["scores"].values()]
        print(f"| {case} | {' | '.join(scores)} | {', '.join(sorted(want['events'])) or '-'} | "
              f"{', '.join(sorted(want['flags'])) or '-'} |")
