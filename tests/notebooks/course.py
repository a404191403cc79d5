"""A throwaway nbgrader course directory that uses the course's own configuration.

Tests generate, submit and autograde there with the real nbgrader commands, so nothing in
the repository (lessons/, autograder/class/) is touched.
"""

import json
import pathlib
import shutil
import subprocess
import sys

from nbgrader.api import Gradebook

REPO = pathlib.Path(__file__).resolve().parents[2]


class Course:
    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.db_url = f"sqlite:///{self.root / 'gradebook.db'}"
        (self.root / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            f"load_subconfig({str(REPO / 'autograder' / 'nbgrader_config.py')!r})\n"
            f"c.CourseDirectory.root = {str(self.root)!r}\n"
            f"c.CourseDirectory.db_url = {self.db_url!r}\n"
        )

    def nbgrader(self, *args, timeout=900):
        """Run an nbgrader command here; fail with its output if it fails."""
        bin_dir = pathlib.Path(sys.executable).parent
        env = {**__import__("os").environ, "PATH": f"{bin_dir}:{__import__('os').environ['PATH']}"}
        done = subprocess.run([str(bin_dir / "nbgrader"), *args], cwd=self.root, env=env,
                              capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def generate(self, module):
        shutil.copytree(REPO / "solutions" / module, self.root / "solutions" / module)
        self.nbgrader("generate_assignment", module, "--force")
        return self.root / "lessons" / module

    def submit(self, student, module, notebooks):
        """notebooks: {name: source path or bytes}: written as nbgrader's submitted/ layout."""
        folder = self.root / "autograder" / "class" / "submitted" / student / module
        folder.mkdir(parents=True)
        for name, content in notebooks.items():
            target = folder / name
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                shutil.copy(content, target)
        (folder / "timestamp.txt").write_text("2026-11-22 12:00:00.000000 UTC")

    def scores(self, module, student):
        """{(notebook, grade_id): (score, max_score, needs_manual_grade)} from the gradebook."""
        out = {}
        with Gradebook(self.db_url) as gradebook:
            submission = gradebook.find_submission(module, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    out[(notebook.name, grade.name)] = (grade.score, grade.max_score, grade.needs_manual_grade)
        return out


def notebook_cells(path):
    """A notebook's cells, minus fields that do not affect what a student sees (for comparing)."""
    cells = json.loads(pathlib.Path(path).read_text())["cells"]
    return [{k: v for k, v in cell.items() if k not in ("execution_count", "outputs")} for cell in cells]
