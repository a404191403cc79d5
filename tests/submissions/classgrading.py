"""Helpers of the submissions tier: run the command, read its reports, watch its processes."""

import contextlib
import hashlib
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

from repo import REPO

BIN = pathlib.Path(sys.executable).parent


def autograder(*args, timeout=3600, check=True, **popen):
    """Run `python -m autograder ...` from the repository; returns the CompletedProcess."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "120"}
    run = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=timeout, **popen)
    if check:
        command = " ".join(map(str, args))
        assert run.returncode == 0, f"python -m autograder {command} failed:\n{run.stdout}\n{run.stderr}"
    return run


def last_run(out, module):
    return json.loads((pathlib.Path(out) / "reports" / module / "last-run.json").read_text())


def checksums(folder):
    """{relative path: sha256} of every file under folder."""
    folder = pathlib.Path(folder)
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@contextlib.contextmanager
def busy_core():
    """Another process that keeps one core busy meanwhile."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield spinner
    finally:
        spinner.kill()
        spinner.wait()


def processes_in(folder_prefix):
    """PIDs of processes whose working directory starts with folder_prefix (a kernel left behind)."""
    import psutil

    found = []
    for process in psutil.process_iter():
        try:
            if process.cwd().startswith(folder_prefix):
                found.append(process.pid)
        except psutil.Error:
            pass
    return found


def kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def wait_for(predicate, timeout, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
