"""Fixtures of the submissions tier: a real PostgreSQL server.

PostgreSQL is never skipped: when its server binaries are missing the fixture installs them
(apt-get install postgresql) and fails with a clear message when it cannot. The server runs
from a temporary folder on loopback only, as the `postgres` user when the tests run as root,
and is stopped when the session ends, whatever happened.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile

import pytest


def _postgres_bin():
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(folder, "initdb")):
            return folder
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def _install_postgres():
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail("PostgreSQL's server binaries (initdb, pg_ctl) are missing and cannot be installed here "
                    "(needs root and apt-get): install the `postgresql` package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "postgresql"]):
        run = subprocess.run(command, capture_output=True, text=True, env=env)
        if run.returncode != 0:
            pytest.fail(f"could not install PostgreSQL ({' '.join(command)}):\n{run.stdout}{run.stderr}")


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server on 127.0.0.1; yields a function that creates a fresh database and
    returns its SQLAlchemy URL."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        _install_postgres()
        bin_dir = _postgres_bin()
        if bin_dir is None:
            pytest.fail("apt-get installed postgresql, but no initdb was found in /usr/lib/postgresql/*/bin")
    as_root = os.geteuid() == 0
    if as_root and not shutil.which("runuser"):
        pytest.fail("running as root needs `runuser` (util-linux) to start PostgreSQL as the postgres user")

    def run(*command):
        command = [os.path.join(bin_dir, command[0]), *command[1:]]
        if as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True)
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}"

    home = tempfile.mkdtemp(prefix="autograder-pg-")
    os.chmod(home, 0o755)
    data = os.path.join(home, "data")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    if as_root:
        shutil.chown(home, "postgres", "postgres")
    started = False
    try:
        run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
        run("pg_ctl", "-D", data, "-l", os.path.join(home, "server.log"), "-w", "-t", "120", "-o",
            f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start")
        started = True
        import psycopg2

        def database(name):
            connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
                cursor.execute(f'CREATE DATABASE "{name}"')
            connection.close()
            return f"postgresql://postgres@127.0.0.1:{port}/{name}"

        yield database
    finally:
        if started:
            run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(home, ignore_errors=True)
