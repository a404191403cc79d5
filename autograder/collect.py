"""Submissions: a folder in nbgrader's submitted/ layout, or an LMS zip collected by nbgrader.

A folder is only read, never written: each student's files are read into memory (and
checksummed, which is how a later run knows what is already graded). A zip is copied into the
output course's downloaded/ folder and unpacked there by plain `nbgrader zip_collect`, which
maps file names to students with the course's FileNameCollectorPlugin.named_regexp (or
--regexp), into OUT/submitted.
"""

import hashlib
import os
import pathlib
import shutil
import subprocess
import sys

SKIP = {".ipynb_checkpoints", "__pycache__"}


def read_submission(folder):
    """{relative path: bytes} of every file of one student's submission (hidden files skipped)."""
    files = {}
    for path in sorted(pathlib.Path(folder).rglob("*")):
        parts = path.relative_to(folder).parts
        if path.is_file() and not any(part in SKIP or part.startswith(".") for part in parts):
            files["/".join(parts)] = path.read_bytes()
    return files


def checksum(files):
    digest = hashlib.sha256()
    for relpath, content in sorted(files.items()):
        digest.update(relpath.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


def students(submitted, module):
    """Sorted ids of the students with a folder submitted/<student>/<module>/."""
    submitted = pathlib.Path(submitted)
    return sorted(p.name for p in submitted.iterdir() if (p / module).is_dir() and not p.name.startswith("."))


def from_zip(archive, module, out, regexp=None):
    """Collect an LMS zip with `nbgrader zip_collect` into OUT/submitted; returns that folder.

    OUT must hold the nbgrader_config.py written by classrun (submitted_directory = submitted)."""
    target = pathlib.Path(out) / "downloaded" / module / "archive"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy(archive, target)
    bin_dir = pathlib.Path(sys.executable).parent
    command = [str(bin_dir / "nbgrader"), "zip_collect", module, "--force", "--log-level=WARN"]
    if regexp:
        command.append(f"--FileNameCollectorPlugin.named_regexp={regexp}")
    run = subprocess.run(command, cwd=out, capture_output=True, text=True,
                         env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    if run.returncode != 0:
        raise RuntimeError(f"nbgrader zip_collect failed:\n{run.stdout}{run.stderr}")
    submitted = pathlib.Path(out) / "submitted"
    if not submitted.is_dir() or not students(submitted, module):
        raise RuntimeError(f"nbgrader zip_collect found no submissions in {archive}; check the file names against "
                           f"FileNameCollectorPlugin.named_regexp (or pass --regexp):\n{run.stdout}{run.stderr}")
    return submitted
