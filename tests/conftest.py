"""Shared test set-up: repository paths, the environment check, and time per tier."""

import collections
import pathlib
import sys

import pytest

from repo import REPO


_tier_seconds = collections.Counter()


def pytest_configure(config):
    # Notebooks, nbgrader and the pin checks only mean something in the course's own environment.
    if pathlib.Path(sys.prefix).resolve() != (REPO / ".venv").resolve():
        raise pytest.UsageError(f"run the tests in the course's environment with `make test` (not {sys.executable})")


def pytest_runtest_logreport(report):
    _tier_seconds[report.nodeid.split("/")[1]] += report.duration  # "tests/<tier>/test_x.py::name"


def pytest_terminal_summary(terminalreporter):
    terminalreporter.section("time per test tier")
    for tier, seconds in sorted(_tier_seconds.items()):
        terminalreporter.write_line(f"{tier:>10}: {seconds:6.1f} s")
