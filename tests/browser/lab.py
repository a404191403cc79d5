"""Start and stop JupyterLab and Chromium for the browser tier, each by its own process id."""

import contextlib
import os
import pathlib
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from repo import REPO

CHROMIUM = "/usr/bin/chromium"
# Headless, as root, on a machine whose network is closed: no sandbox, no background traffic.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process):
    """Stop a process started in its own session, and everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def jupyterlab(folder, log_path):
    """JupyterLab serving `folder`, started by scripts/lab.sh as `make lab` starts it.
    Yields (base URL, token)."""
    port = free_port()
    log = open(log_path, "w")
    lab = subprocess.Popen([str(REPO / "scripts" / "lab.sh")], env={**os.environ, "LAB_PORT": str(port),
                           "LAB_DIR": str(folder)}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, token = time.monotonic() + 120, None
        while token is None:
            assert lab.poll() is None, f"JupyterLab stopped:\n{pathlib.Path(log_path).read_text()}"
            assert time.monotonic() < deadline, f"JupyterLab printed no URL:\n{pathlib.Path(log_path).read_text()}"
            if found := re.search(rf"127\.0\.0\.1:{port}/lab\?token=(\w+)", pathlib.Path(log_path).read_text()):
                token = found.group(1)
            time.sleep(0.3)
        base = f"http://127.0.0.1:{port}"
        while True:  # the URL is printed a moment before the socket answers
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=10).close()
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline, "JupyterLab does not answer"
                time.sleep(0.3)
        yield base, token
    finally:
        stop(lab)
        log.close()


@contextlib.contextmanager
def chromium(profile):
    """Debian's headless Chromium, started here (so we hold its pid) and driven by Playwright
    over the DevTools protocol. Yields a Playwright Browser."""
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"the browser tier needs Debian's chromium at {CHROMIUM}: "
                    "apt-get install chromium (.ci/run installs it)", pytrace=False)
    port = free_port()
    browser = subprocess.Popen([CHROMIUM, "--headless", f"--remote-debugging-port={port}",
                                f"--user-data-dir={profile}", *CHROMIUM_ARGS, "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        with sync_playwright() as playwright:
            deadline = time.monotonic() + 60
            while True:
                try:
                    connected = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
                    break
                except Exception:
                    assert browser.poll() is None, "chromium stopped at start"
                    assert time.monotonic() < deadline, "chromium's DevTools port never answered"
                    time.sleep(0.3)
            try:
                yield connected
            finally:
                connected.close()
    finally:
        stop(browser)
