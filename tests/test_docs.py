"""The README documents every setting, job and activity type a user can meet (datasette's habit)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.constants import ACTIVITY_TYPES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _python_sources():
    for path in ROOT.rglob("*.py"):
        if ".venv" not in path.parts:
            yield path


def test_readme_starts_with_the_two_commands():
    first_blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)[:2]
    assert [b.strip() for b in first_blocks] == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, flags=re.M)


@pytest.mark.parametrize("name", sorted({m for p in _python_sources()
                                         for m in re.findall(r"IRDASH_[A-Z0-9_]+", p.read_text(encoding="utf-8"))}))
def test_every_environment_variable_is_documented(name):
    assert f"`{name}`" in README, f"{name} is read by the code but not documented in README.md"


def _ingest_jobs():
    out = subprocess.run([sys.executable, "-m", "ingest", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return re.findall(r"^    ([a-z][a-z-]+)\s", out.stdout, flags=re.M)


def test_every_ingest_job_is_in_the_readme():
    jobs = _ingest_jobs()
    assert {"load-yahoo", "load-csv", "refresh", "import-activities", "demo"} <= set(jobs)
    undocumented = [j for j in jobs if j not in README]
    assert undocumented == []


@pytest.mark.parametrize("code", list(ACTIVITY_TYPES))
def test_every_activity_type_is_named_in_the_readme(code):
    label = ACTIVITY_TYPES[code][0]
    assert label.lower() in README.lower()


def test_nothing_in_the_project_points_outside_it():
    """The project stands alone: no file refers to the workplace's shared notes beside it."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    needle = "/" + "shared/"  # written in two pieces so this file does not match itself
    hits = [p for p in tracked if (ROOT / p).is_file()
            and any(s + needle in (ROOT / p).read_text(encoding="utf-8", errors="ignore") for s in ("..", "/work"))]
    assert hits == []
