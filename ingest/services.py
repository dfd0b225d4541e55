"""(being written for issue 13): the `python -m ingest` jobs of this record."""
from __future__ import annotations

JOBS: tuple[str, ...] = ()


def add_parsers(sub) -> None:
    """Register this module's jobs on the CLI's subparsers."""


def run(store, args) -> int:
    raise SystemExit(f"unknown job {args.job}")
