"""What a run tells the instructor: a line per student, a summary table, CSVs and reports.

Files, in the output course folder:

    grades.csv                          nbgrader's own export (`nbgrader export`), every assignment
    reports/MODULE/cells.csv            one row per student and graded cell, from the gradebook
    reports/MODULE/events.csv           what happened while grading (kernel died, cell restored, ...)
    reports/MODULE/integrity.csv, .md   the integrity scan's flags, for review
    reports/MODULE/last-run.json        what the last run graded, skipped and failed
"""

import csv
import json
import pathlib

from rich.table import Table

from . import gradebook


def total(result):
    """(score, max score, points still to grade by hand) of a result."""
    score = maximum = by_hand = 0.0
    for notebook in result["notebooks"].values():
        for auto_score, max_score in notebook["cells"].values():
            maximum += max_score
            if auto_score is None:
                by_hand += max_score
            else:
                score += auto_score
    return score, maximum, by_hand


def score_text(result):
    score, maximum, by_hand = total(result)
    return f"{score:g}/{maximum:g}" + (f" ({by_hand:g} by hand)" if by_hand else "")


def kinds(result):
    """Sorted event kinds and integrity categories of a result."""
    events = {kind for kind, _ in result.get("events", [])}
    flags = set()
    for notebook in result["notebooks"].values():
        events |= {kind for kind, _ in notebook["events"]}
        flags |= {flag[0] for flag in notebook["integrity"]}
    return sorted(events), sorted(flags)


def line(done, count, student, result):
    if not result.get("ok"):
        return f"[{done}/{count}] {student}: NOT GRADED ({result['error'].strip().splitlines()[-1]})"
    events, flags = kinds(result)
    extra = "".join(f"; {label}: {', '.join(items)}" for label, items in (("events", events), ("integrity", flags))
                    if items)
    return f"[{done}/{count}] {student}: {score_text(result)} in {result['seconds']:.0f} s{extra}"


def summary_table(module, results):
    table = Table(title=f"{module}: {len(results)} students")
    for column in ("student", "score", "events", "integrity"):
        table.add_column(column, justify="right" if column == "score" else "left")
    for student, result in sorted(results.items()):
        events, flags = kinds(result)
        table.add_row(student, score_text(result), ", ".join(events), ", ".join(flags))
    return table


def _write_csv(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def write_reports(out, module, db_url, results, run):
    """All files above; `results` are the saved results of every graded student of the module."""
    folder = pathlib.Path(out) / "reports" / module
    _write_csv(folder / "cells.csv", ["student", "notebook", "cell", "score", "max_score", "needs_manual_grade"],
               gradebook.cell_rows(db_url, module))
    events, flags = [], []
    for student, result in sorted(results.items()):
        events += [(student, "", kind, message) for kind, message in result.get("events", [])]
        for name, notebook in sorted(result["notebooks"].items()):
            events += [(student, name, kind, message) for kind, message in notebook["events"]]
            flags += [(student, name, *flag) for flag in notebook["integrity"]]
    _write_csv(folder / "events.csv", ["student", "notebook", "kind", "message"], events)
    _write_csv(folder / "integrity.csv",
               ["student", "notebook", "category", "cell", "grade_id", "line", "why", "code"], flags)
    lines = [f"# Integrity report: {module}", "",
             "Static scan of the submitted code (outside the kernel). A flag changes no score: it asks for a "
             "look at the code.", ""]
    if not flags:
        lines.append("No submission was flagged.")
    for student in sorted({flag[0] for flag in flags}):
        lines += [f"## {student}", ""]
        lines += [f"- `{name}.ipynb` cell {cell}{f' ({grade_id})' if grade_id else ''}, line {number}: "
                  f"**{category}**: {why}: `{code}`"
                  for who, name, category, cell, grade_id, number, why, code in flags if who == student]
        lines.append("")
    (folder / "integrity.md").write_text("\n".join(lines) + "\n")
    (folder / "last-run.json").write_text(json.dumps(run, indent=1))
    gradebook.export_csv(db_url, pathlib.Path(out) / "grades.csv")
    return folder
