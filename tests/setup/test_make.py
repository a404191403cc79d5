"""The README's commands: the environment is reused, and `make lab` serves JupyterLab."""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from repo import REPO


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answer_when_up(url, seconds=60):
    """The body at url, retried while the server is still opening its socket."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return answer.read().decode()
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_second_setup_reuses_the_environment():
    started = time.monotonic()
    done = subprocess.run(["make", "--no-print-directory", "test-venv"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Creating" not in done.stdout and "Installing" not in done.stdout, done.stdout
    assert time.monotonic() - started < 30


def test_make_lab_serves_the_lessons():
    port = free_port()
    lab = subprocess.Popen(["make", "--no-print-directory", "lab"], cwd=REPO, env={**os.environ, "LAB_PORT": str(port)},
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        log, url, deadline = [], None, time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            line = lab.stdout.readline()
            assert line or lab.poll() is None, "make lab stopped:\n" + "".join(log)
            log.append(line)
            if found := re.search(rf"(http://127\.0\.0\.1:{port}/lab\?token=\w+)", line):
                url = found.group(1)
        assert url, "make lab printed no URL within 120 s:\n" + "".join(log)
        listing = answer_when_up(url.replace("/lab?", "/api/contents?"))
        assert "00-measuring-scale" in listing, "JupyterLab does not open in lessons/"
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait()
