"""Integrity scan: a static look at a submission's code, outside any kernel.

It flags code that could fake a grade, for a person to review (a flag changes no score):

- clock:     patching time.perf_counter / time.time / time.monotonic / ... or timeit's timer;
- builtins:  patching builtins (`builtins.x = ...`, `__builtins__[...] = ...`);
- sys.modules: adding, replacing or removing entries of sys.modules;
- grader:    touching the grading helpers (scalinglab.grading, its speed child) or patching a
             module they rely on (runpy, importlib, subprocess, pickle, cloudpickle, numpy, ...);
- nbgrader-env: reading NBGRADER_EXECUTION (or any NBGRADER_ variable): code that behaves
             differently when graded;
- dynamic:   exec/eval/compile/__import__ of code that is not a plain string, which hides what
             runs from this scan;
- course-files: naming a file of the grading course around the notebook (its gradebook holds
             every test cell, hidden ones included; feedback removes hidden lines a cell prints).

Every code cell is scanned, including test cells a student edited (nbgrader restores those
before grading, but the edit says something). Run alone: `python -m autograder.integrity NB...`.
"""

import ast
import re
import sys

import nbformat

CLOCKS = {"perf_counter", "perf_counter_ns", "time", "time_ns", "monotonic", "monotonic_ns", "process_time",
          "process_time_ns", "thread_time", "thread_time_ns", "clock_gettime", "clock_gettime_ns",
          "default_timer", "sleep"}
CLOCK_MODULES = {"time", "timeit"}
GRADER_MODULES = {"scalinglab", "runpy", "importlib", "subprocess", "pickle", "cloudpickle", "numpy", "tempfile",
                  "secrets", "signal", "os", "multiprocessing", "types"}
GRADER_NAMES = re.compile(r"scalinglab\.grading|_speed_child|\bgrading\.py\b")
COURSE_FILES = re.compile(r"gradebook|source_cell|grade_cells|nbgrader_config|\.\./\.\./")
MUTATORS = {"pop", "update", "setdefault", "clear", "popitem", "__setitem__", "__delitem__"}
CATEGORIES = ("clock", "builtins", "sys.modules", "grader", "nbgrader-env", "dynamic", "course-files")


def _code(source):
    """Cell source as Python: IPython magics and shell escapes become `pass`."""
    return "\n".join(re.sub(r"^(\s*)[%!].*", r"\1pass", line) for line in source.splitlines())


def _dotted(node):
    """'a.b.c' for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, aliases):
        self.aliases, self.found = aliases, []

    def module_of(self, node):
        """The real dotted name behind `node`, resolving import aliases ('t.perf_counter' -> 'time...')."""
        name = _dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        real = self.aliases.get(head, head)
        return f"{real}.{rest}" if rest else real

    def flag(self, category, node, why):
        self.found.append((category, node.lineno, why))

    def patched(self, target, node):
        """An assignment to, or deletion of, `target`."""
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.patched(element, node)
            return
        if isinstance(target, ast.Subscript):
            container = self.module_of(target.value)
            if container == "sys.modules":
                self.flag("sys.modules", node, "changes sys.modules")
            elif container in ("__builtins__", "builtins.__dict__"):
                self.flag("builtins", node, "changes builtins")
            return
        if not isinstance(target, ast.Attribute):
            return
        owner, attr = self.module_of(target.value), target.attr
        if owner is None:
            return
        root = owner.split(".")[0]
        if root in CLOCK_MODULES and attr in CLOCKS:
            self.flag("clock", node, f"replaces {owner}.{attr}")
        elif root in ("builtins", "__builtins__"):
            self.flag("builtins", node, f"replaces {owner}.{attr}")
        elif owner == "sys" and attr == "modules":
            self.flag("sys.modules", node, "replaces sys.modules")
        elif root in GRADER_MODULES:
            self.flag("grader", node, f"replaces {owner}.{attr}, which the grader relies on")

    def visit_Assign(self, node):
        for target in node.targets:
            self.patched(target, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self.patched(node.target, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self.patched(node.target, node)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for target in node.targets:
            self.patched(target, node)
        self.generic_visit(node)

    def visit_Call(self, node):
        name = self.module_of(node.func) or ""
        if name in ("setattr", "delattr") and node.args:
            owner = self.module_of(node.args[0]) or ""
            attr = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else None
            fake = ast.Attribute(value=node.args[0], attr=str(attr), ctx=ast.Store())
            if attr is None and owner.split(".")[0] in CLOCK_MODULES | GRADER_MODULES | {"builtins", "__builtins__"}:
                self.flag("dynamic", node, f"{name} on {owner} with a computed name")
            else:
                self.patched(fake, node)
        elif name.startswith("sys.modules.") and name.rsplit(".", 1)[1] in MUTATORS:
            self.flag("sys.modules", node, f"calls {name}")
        elif name in ("exec", "eval", "compile", "__import__", "importlib.import_module") and node.args \
                and not isinstance(node.args[0], ast.Constant):
            self.flag("dynamic", node, f"{name} of code built at run time")
        elif name.split(".")[-1] in ("patch", "object") and "mock" in name:
            self.mock_patch(node)
        self.generic_visit(node)

    def mock_patch(self, node):
        """unittest.mock.patch('time.perf_counter', ...) and patch.object(time, 'perf_counter')."""
        args = node.args
        if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
            module, _, attr = args[0].value.rpartition(".")
            target = ast.parse(module, mode="eval").body if module else None
            if target is not None:
                self.patched(ast.Attribute(value=target, attr=attr, ctx=ast.Store()), node)
        elif len(args) > 1 and isinstance(args[1], ast.Constant):
            self.patched(ast.Attribute(value=args[0], attr=str(args[1].value), ctx=ast.Store()), node)

    def visit_Constant(self, node):
        if isinstance(node.value, str):
            if "NBGRADER" in node.value:
                self.flag("nbgrader-env", node, f"mentions {node.value!r}")
            elif GRADER_NAMES.search(node.value):
                self.flag("grader", node, f"mentions {node.value!r}")
            elif COURSE_FILES.search(node.value):
                self.flag("course-files", node, f"mentions {node.value!r}, a file of the grading course")

    def visit_Name(self, node):
        if "NBGRADER" in node.id:
            self.flag("nbgrader-env", node, f"uses the name {node.id}")

    def visit_Import(self, node):
        for alias in node.names:
            if GRADER_NAMES.search(alias.name):
                self.flag("grader", node, f"imports {alias.name}")

    def visit_ImportFrom(self, node):
        module = node.module or ""
        for alias in node.names:
            if GRADER_NAMES.search(f"{module}.{alias.name}"):
                self.flag("grader", node, f"imports {alias.name} from {module}")


def _aliases(trees):
    """Names bound to modules anywhere in the notebook: {'np': 'numpy', 't': 'time', 'pc': ...}."""
    aliases = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else \
                        alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:  # `from scalinglab import grading` binds a module too
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def scan_notebook(notebook, lesson_code=()):
    """[(category, cell number (1-based), grade_id or '', line, why, code line)] for one notebook.

    Cells whose source is one of `lesson_code` (code the lesson itself gives) are not flagged,
    but their imports still tell what a name stands for."""
    given = {source.strip() for source in lesson_code}
    trees = {}
    for number, cell in enumerate(notebook.cells, 1):
        if cell.cell_type == "code":
            try:
                trees[number] = ast.parse(_code(cell.source))
            except SyntaxError:
                continue  # it fails when it runs; nothing to scan
    scanner = _Scanner(_aliases(trees.values()))
    flags = []
    for number, tree in trees.items():
        cell = notebook.cells[number - 1]
        if cell.source.strip() in given:
            continue
        scanner.found = []
        scanner.visit(tree)
        lines = cell.source.splitlines()
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        for category, line, why in scanner.found:
            code = lines[line - 1].strip() if line <= len(lines) else ""
            flags.append((category, number, grade_id, line, why, code))
    return flags


def scan_file(path):
    return scan_notebook(nbformat.read(path, as_version=4))


if __name__ == "__main__":
    for path in sys.argv[1:]:
        for category, cell, grade_id, line, why, code in scan_file(path):
            print(f"{path}: cell {cell}{f' ({grade_id})' if grade_id else ''} line {line}: {category}: {why}: {code}")
