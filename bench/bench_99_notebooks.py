"""Each solution notebook's run time and peak memory (all its processes), against the budget."""

import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from notebooks.course import PeakMemory  # noqa: E402  (the same sampler the tests use)

RUN = """
import sys, nbformat
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(notebook, timeout=600, resources={"metadata": {"path": sys.argv[2]}}).execute()
"""


def run(table):
    for notebook in sorted((HERE.parent / "solutions").glob("*/*.ipynb")):
        with tempfile.TemporaryDirectory() as scratch:  # whatever the notebook writes stays out of the repo
            work = shutil.copytree(notebook.parent, pathlib.Path(scratch) / notebook.parent.name)
            started = time.monotonic()
            child = subprocess.Popen([sys.executable, "-c", RUN, str(work / notebook.name), str(work)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            peak = PeakMemory(child.pid)
            _, errors = child.communicate()
            peak.stop()
        seconds = time.monotonic() - started
        status = "" if child.returncode == 0 else f" FAILED: {errors.strip().splitlines()[-1]}"
        table.note(f"notebook {notebook.stem}", "solution, executed",
                   f"{seconds:.1f} s, {peak.bytes / 2**20:.0f} MiB", limit="budget 90 s, 1.5 GB" + status)
