"""Binder emulation: the same pins everywhere, and postBuild works in a throwaway environment."""

import importlib.metadata
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

from repo import REPO

sys.path.insert(0, str(REPO / "scripts"))
from pins import pip_pins  # noqa: E402


def test_binder_reads_the_same_pins():
    assert (REPO / "binder" / "environment.yml").read_bytes() == (REPO / "environment.yml").read_bytes(), \
        "binder/environment.yml must be a copy of environment.yml: cp environment.yml binder/"


def test_every_pin_is_installed_exactly():
    pins = pip_pins((REPO / "environment.yml").read_text())
    pins += [line for line in (REPO / "tests" / "requirements.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    wrong = {}
    for pin in pins:
        name, version = pin.split("==")
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            wrong[name] = f"pinned {version}, installed {installed}"
    assert not wrong, f"the environment does not match the pins: {wrong}"
    assert len(pins) == len({p.split("==")[0].lower() for p in pins}), "a package is pinned twice"


def test_post_build_in_a_throwaway_environment(tmp_path):
    """An environment with the pinned packages (what repo2docker builds from environment.yml),
    without the helper package and with an extension switched off: postBuild must fix both."""
    throwaway = tmp_path / "env"
    # Hard links make the copy cheap; etc/ (config that postBuild writes) is a real copy.
    subprocess.run(["cp", "-al", sys.prefix, str(throwaway)], check=True)
    shutil.rmtree(throwaway / "etc")
    shutil.copytree(pathlib.Path(sys.prefix) / "etc", throwaway / "etc")
    site = throwaway / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    for installed in site.glob("scalinglab*"):
        shutil.rmtree(installed) if installed.is_dir() else installed.unlink()
    config = throwaway / "etc" / "jupyter" / "jupyter_server_config.d" / "dask_labextension.json"
    config.write_text(json.dumps({"ServerApp": {"jpserver_extensions": {"dask_labextension": False}}}))
    env = {**os.environ, "HOME": str(tmp_path / "home"), "PATH": f"{throwaway / 'bin'}:/usr/bin:/bin"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(["bash", str(REPO / "binder" / "postBuild")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"postBuild failed:\n{done.stdout}\n{done.stderr}"
    assert list(site.glob("scalinglab-*.dist-info")), "postBuild did not install the helper package"
    listing = subprocess.run([str(throwaway / "bin" / "python"), "-m", "jupyter_server", "extension", "list"],
                             env=env, capture_output=True, text=True)
    listed = listing.stdout + listing.stderr
    assert re.search(r"dask_labextension \S*enabled", listed), f"dask_labextension is still off:\n{listed}"
    assert (REPO / "scalinglab" / "__init__.py").exists()  # the checkout itself was not moved or changed


def test_start_sets_the_kernel_environment():
    done = subprocess.run([str(REPO / "binder" / "start"), "env"], capture_output=True, text=True, check=True)
    assert "KERAS_BACKEND=jax" in done.stdout.splitlines()
    assert "XLA_FLAGS=--xla_force_host_platform_device_count=4" in done.stdout.splitlines()
    # Dask formats its dashboard link with the environment: on Binder it goes through JupyterLab's proxy.
    assert "DASK_DISTRIBUTED__DASHBOARD__LINK={JUPYTERHUB_SERVICE_PREFIX}proxy/{port}/status" in done.stdout.splitlines()
    script = ("import dask, distributed.utils;"
              "print(distributed.utils.format_dashboard_link('127.0.0.1', 8787))")
    env = {**os.environ, "JUPYTERHUB_SERVICE_PREFIX": "/user/someone/"}
    link = subprocess.run([str(REPO / "binder" / "start"), sys.executable, "-c", script], env=env,
                          capture_output=True, text=True, check=True).stdout.strip()
    assert link == "/user/someone/proxy/8787/status"
