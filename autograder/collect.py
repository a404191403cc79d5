"""Submissions: a folder in nbgrader's submitted/ layout, or an LMS zip collected by nbgrader.

A folder is only read, never written: each student's files are read into memory (and
checksummed, which is how a later run knows what is already graded). A zip is unpacked by
plain `nbgrader zip_collect`, which maps file names to students with the course's
FileNameCollectorPlugin.named_regexp (or --regexp), into a folder of the grader's own,
OUT/collected/MODULE/<the zip's checksum>/: the zip itself, and whatever the instructor keeps
in OUT/downloaded or OUT/submitted, are never touched.
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
    """Collect an LMS zip with `nbgrader zip_collect`; returns the folder of submissions it made.

    OUT must hold the nbgrader_config.py written by classrun (the release notebooks tell
    zip_collect which files to expect). The same zip collects into the same folder, so a
    resumed run finds its students' files unchanged."""
    archive = pathlib.Path(archive)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()[:16]
    relative = pathlib.Path("collected") / module / digest
    folder = pathlib.Path(out) / relative
    submitted = folder / "submitted"
    if (folder / "complete").exists():
        return submitted
    shutil.rmtree(folder, ignore_errors=True)  # an interrupted collection of this zip: ours to redo
    (folder / "downloaded" / module / "archive").mkdir(parents=True)
    shutil.copy(archive, folder / "downloaded" / module / "archive")
    bin_dir = pathlib.Path(sys.executable).parent
    command = [str(bin_dir / "nbgrader"), "zip_collect", module, "--log-level=WARN",
               f"--ZipCollectApp.downloaded_directory={relative / 'downloaded'}",
               f"--CourseDirectory.submitted_directory={relative / 'submitted'}"]
    if regexp:
        command.append(f"--FileNameCollectorPlugin.named_regexp={regexp}")
    run = subprocess.run(command, cwd=out, capture_output=True, text=True,
                         env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    if run.returncode != 0:
        raise RuntimeError(f"nbgrader zip_collect failed:\n{run.stdout}{run.stderr}")
    if not submitted.is_dir() or not students(submitted, module):
        raise RuntimeError(f"nbgrader zip_collect found no submissions in {archive}; check the file names against "
                           f"FileNameCollectorPlugin.named_regexp (or pass --regexp):\n{run.stdout}{run.stderr}")
    (folder / "complete").touch()
    return submitted
