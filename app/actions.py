"""What the dashboard writes: activity edits, CSV imports and ingest jobs, through store/ingest only."""
from __future__ import annotations

import importlib
import tempfile
from pathlib import Path

from app import loaders


def apply_activity_changes(db: str, changes) -> str:
    """Write validated editor changes (``app.activity_edits.Changes``); returns a one-line summary."""
    store = loaders.open_store(db)
    added = store.add_activities(changes.added) if not changes.added.empty else []
    for activity_id, fields in changes.updated.items():
        store.update_activity(activity_id, **fields)
    if changes.deleted:
        store.delete_activities(changes.deleted)
    return f"Saved: {len(added)} added, {len(changes.updated)} updated, {len(changes.deleted)} deleted."


def _ingest(name: str):
    try:
        return importlib.import_module(f"ingest.{name}")
    except ImportError:
        return None


def import_activity_csv(db: str, client_id: str, file_name: str, data: bytes) -> tuple[bool, str]:
    """Import an activity CSV with ``ingest.activities``; (ok, message in words)."""
    mod = _ingest("activities")
    if mod is None:
        return False, "The activity importer (ingest.activities) is not installed yet."
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(file_name).name
        path.write_bytes(data)
        try:
            result = mod.import_activities(loaders.open_store(db), path, client_id=client_id)
        except Exception as exc:  # the importer's errors are written for people: show them
            return False, f"Import failed: {exc}"
    return True, f"Imported: {result}"


def run_ingest(db: str, job: str, progress, **kwargs) -> tuple[bool, str]:
    """Run an ingest job (``load``, ``refresh`` or ``csv``) reporting progress through ``progress(text)``."""
    jobs = _ingest("jobs")
    if jobs is None:
        return False, "The ingest jobs (ingest.jobs) are not installed yet."
    return False, f"Job {job!r} is not wired yet."
