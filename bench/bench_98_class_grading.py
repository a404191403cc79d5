"""Class grading throughput: a generated class graded by plain `nbgrader autograde` and by
`python -m autograder grade` with 1 and 2 workers (wall time, students per minute, efficiency),
and whether any grade differs from the serial run.

The class cycles through the submission corpus (tests/submissions/corpus.py) minus the cases
that only cost waiting (endless loops) and the duplicated test cell, which stops plain nbgrader
for everyone after it. BENCH_CLASS_SIZE students per module (default 8, the first half of the
cycle, which keeps `make bench` under 15 minutes on 2 cores: each student of module 00 takes
10 to 15 s; BENCH_CLASS_SIZE=40 for a class of 40) in BENCH_CLASS_MODULES (default:
00-measuring-scale only; "all" for every module). Timing cells run alone on the machine
(fairness.py): the time they held it is serialised in every run, so the efficiency of the rest
("non-timing") is reported too.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "submissions")]
import corpus  # noqa: E402  (the corpus generator makes the class)
from nbgrader.api import Gradebook  # noqa: E402
from notebooks.course import Course  # noqa: E402  (plain nbgrader in a throwaway course)

# Where plain nbgrader cannot give the corpus grade: it does not find a renamed notebook, cannot
# read a broken one, has no memory cap, and loses every cell after a kernel dies.
PLAIN_CANNOT = {"renamed", "memory-hog", "broken-json", "os-exit", "segfault"}
CYCLE = ["correct", "partial", "slow", "memoised", "hard-coded", "blank", "edited-test", "deleted-test",
         "renamed", "clock-patch", "cell-type-changed", "sys-exit", "memory-hog", "broken-json", "os-exit",
         "segfault"]


def _modules():
    chosen = os.environ.get("BENCH_CLASS_MODULES", "00-measuring-scale")
    if chosen == "all":
        return sorted(p.name for p in (REPO / "lessons").iterdir() if (REPO / "solutions" / p.name).is_dir())
    return chosen.split(",")


def make_class(module, folder, size):
    """folder/submitted/s01-correct/<module>/..., cycling through CYCLE."""
    cases = folder / "cases"
    corpus.build(module, cases)
    students = []
    for i in range(size):
        student = f"s{i + 1:02d}-{CYCLE[i % len(CYCLE)]}"
        shutil.copytree(cases / CYCLE[i % len(CYCLE)], folder / "submitted" / student)
        students.append(student)
    return students


def scores(db_url, module):
    with Gradebook(db_url) as gradebook:
        return {(s.student.id, nb.name, g.name): g.auto_score for s in gradebook.find_assignment(module).submissions
                for nb in s.notebooks for g in nb.grades}


def autograder(module, submitted, out, workers):
    env = {**os.environ, "PATH": f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", module, "--submissions", str(submitted),
                          "--out", str(out), "--workers", str(workers), *corpus.limits(module)],
                         cwd=REPO, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if run.returncode != 0:
        raise RuntimeError(f"python -m autograder failed:\n{run.stdout}\n{run.stderr}")
    alone = sum(json.loads(p.read_text())["lane"]["alone"] for p in (out / "results" / module).glob("*.json"))
    return seconds, alone, scores(f"sqlite:///{out / 'gradebook.db'}", module)


def plain_nbgrader(module, folder):
    """`nbgrader autograde` over the whole class in a throwaway course; it stops nobody here."""
    (folder / "plain").mkdir()
    course = Course(folder / "plain")
    course.generate(module)
    shutil.copytree(folder / "submitted", course.root / "autograder" / "class" / "submitted")
    bin_dir = pathlib.Path(sys.executable).parent
    started = time.monotonic()
    subprocess.run([str(bin_dir / "nbgrader"), "autograde", module], cwd=course.root, capture_output=True,
                   env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"})
    return time.monotonic() - started, scores(course.db_url, module)


def run(table):
    size = int(os.environ.get("BENCH_CLASS_SIZE", "8"))
    for module in _modules():
        with tempfile.TemporaryDirectory(prefix="bench-class-") as scratch:
            folder = pathlib.Path(scratch)
            make_class(module, folder, size)
            workload = f"grade {size} submissions of {module}"
            plain, plain_scores = plain_nbgrader(module, folder)
            table.add(workload, "plain nbgrader autograde (serial)", plain,
                      limit=f"{len({s for s, _, _ in plain_scores})} of {size} students graded")
            one, alone_one, one_scores = autograder(module, folder / "submitted", folder / "one", 1)
            table.add(workload, "python -m autograder, 1 worker", one, baseline=plain,
                      limit=f"{size / one * 60:.1f} students/min; timing cells held the machine {alone_one:.0f} s")
            two, alone_two, two_scores = autograder(module, folder / "submitted", folder / "two", 2)
            differ = sorted({key[0] for key in one_scores if one_scores[key] != two_scores.get(key)})
            versus_plain = sorted({key[0] for key in plain_scores if plain_scores[key] != one_scores.get(key)})
            efficiency = one / two / 2
            rest = (one - alone_one) / (two - alone_two) / 2
            table.add(workload, "python -m autograder, 2 workers", two, baseline=one,
                      limit=f"{size / two * 60:.1f} students/min; efficiency {efficiency:.0%}, "
                            f"{rest:.0%} outside timing cells (target 80%); timing cells {alone_two:.0f} s")
            table.note(workload, "grades: 2 workers vs 1 worker", f"{len(differ)} students differ",
                       limit=", ".join(differ) or "identical")
            expected = [s for s in versus_plain if s.split("-", 1)[1] in PLAIN_CANNOT]
            unexpected = [s for s in versus_plain if s not in expected]
            table.note(workload, "grades: 1 worker vs plain nbgrader", f"{len(versus_plain)} students differ",
                       limit=(f"unexpected: {', '.join(unexpected)}" if unexpected else "identical otherwise")
                       + (f"; cases plain nbgrader cannot grade: {', '.join(expected)}" if expected else ""))
