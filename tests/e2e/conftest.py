"""Browser-test harness: a real `streamlit run dashboard.py` on a demo workspace built in tmp, and Debian's chromium.

Screenshots and downloads of each test land in its own folder, ``<E2E_OUTPUT>/<test id>/``, where
``E2E_OUTPUT`` is ``$IRDASH_E2E_OUTPUT`` or ``tests/e2e/output`` (git-ignored by a ``.gitignore``
written inside it). A test's folder is emptied when that test starts and left alone otherwise.
pytest-playwright's own ``--output`` folder (``test-results/``) is not used for this: the plugin
deletes it at the start of every pytest session that loads it, including runs of other tests. The
plugin's traces, videos and failure screenshots (``--tracing``, ``--video``, ``--screenshot``) go
to the same per-test folder, since they use the ``output_path`` fixture overridden here.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("IRDASH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]
E2E_OUTPUT = Path(os.environ.get("IRDASH_E2E_OUTPUT") or ROOT / "tests" / "e2e" / "output")


@pytest.fixture
def output_path(request) -> str:
    """This test's artifact folder, ``E2E_OUTPUT/<test id>`` (see the module docstring); emptied, then created."""
    E2E_OUTPUT.mkdir(parents=True, exist_ok=True)
    ignore = E2E_OUTPUT / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# artifacts of the browser tests (tests/e2e/conftest.py)\n*\n")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.nodeid.split("::", 1)[-1]).strip("-")[:200]
    folder = E2E_OUTPUT / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return str(folder)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright launches the system chromium (no `playwright install`)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (or apt-get install chromium; "
                    "IRDASH_CHROMIUM points to another build)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def demo_workspace(demo_db, tmp_path_factory) -> Path:
    """The server's own copy of the session's demo workspace."""
    path = tmp_path_factory.mktemp("e2e") / "demo.duckdb"
    path.write_bytes(demo_db.read_bytes())
    return path


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, what: str, path: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}{path}", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{what} did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def start_streamlit(db: Path, log: Path, *, env: dict | None = None, args: tuple = (), port: int | None = None):
    """A real ``streamlit run dashboard.py`` on ``db`` on 127.0.0.1 (a free port by default): (process, base URL)."""
    port = port or _free_port()
    full_env = {**os.environ, "IRDASH_DB": str(db), "BROWSER_PATH": shutil.which("chromium") or CHROMIUM, **(env or {})}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--client.showErrorDetails", "full",  # a page's exception shows as stException, which the tests look for
             *args],
            cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, proc, log, "streamlit", "/_stcore/health")
    return proc, url


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def server(demo_workspace, tmp_path_factory) -> str:
    """Base URL of a dashboard server (the local demo mode: no sign-in) on a free localhost port."""
    env = {k: v for k, v in os.environ.items() if k != "IRDASH_MODE"}
    proc, url = start_streamlit(demo_workspace, tmp_path_factory.mktemp("server") / "streamlit.log",
                                env={**env, "IRDASH_MODE": "demo"})
    yield url
    stop(proc)


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> str:
    """Issuer URL of a real OpenID Connect provider (PyPI ``oidc-provider-mock``) on a free loopback port.

    Any client id is accepted; at its authorize page a user signs in by typing their subject, which
    also becomes their ``email`` claim.
    """
    port = _free_port()
    log = tmp_path_factory.mktemp("oidc") / "oidc.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, proc, log, "oidc-provider-mock", "/.well-known/openid-configuration")
    yield url
    stop(proc)
