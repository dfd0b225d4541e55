"""What the dashboard writes: activity edits, CSV imports and ingest jobs, through store/ingest only."""
from __future__ import annotations

import importlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


def save_client(db: str, client_id: str, name: str, ticker: str, benchmark: str | None) -> tuple[bool, str]:
    """Add or update a client through the store; (ok, message in words)."""
    from store import StoreError

    try:
        loaders.open_store(db).save_client(client_id.strip(), name.strip() or client_id.strip(),
                                           ticker.strip() or None, (benchmark or "").strip() or None)
    except StoreError as exc:
        return False, str(exc)
    return True, f"Saved client {client_id.strip()} ({ticker.strip().upper() or 'no ticker'})."


@contextmanager
def _uploaded(file_name: str, data: bytes) -> Iterator[Path]:
    """An uploaded file's bytes as a file of the same name in a temporary folder (removed afterwards)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(file_name).name
        path.write_bytes(data)
        yield path


def _job(db: str, progress, run) -> tuple[bool, str]:
    """Run ``run(jobs, store)`` -> JobSummary; (ok, one-line summary or the job's error in words)."""
    jobs = importlib.import_module("ingest.jobs")  # on first use: pages that never ingest do not import it
    store = loaders.open_store(db)
    try:
        summary = run(jobs, store)
    except Exception as exc:  # the jobs raise named errors written for people (and log them)
        progress(f"Failed: {exc}")
        return False, f"Failed: {exc}"
    for problem in getattr(summary, "errors", []) or []:
        progress(problem)
    ok = getattr(summary, "exit_code", 0) == 0
    return ok, summary.line() if hasattr(summary, "line") else str(summary)


def run_ingest(db: str, job: str, progress, **kw) -> tuple[bool, str]:
    """Run an ingest job (``load``, ``refresh`` or ``csv``) reporting progress through ``progress(text)``."""
    if job == "load":
        progress(f"Fetching {kw['ticker']} daily history from Yahoo (gives up with a message if the network hangs)...")
        return _job(db, progress, lambda jobs, store: (store.init(), jobs.load_yahoo(store, kw["ticker"],
                                                                                      start=kw.get("start")))[1])
    if job == "refresh":
        return _job(db, progress, lambda jobs, store: jobs.refresh(store, progress=progress))
    if job == "csv":
        with _uploaded(kw["file_name"], kw["data"]) as path:
            progress(f"Validating and loading {path.name} as {kw['ticker']}...")
            return _job(db, progress, lambda jobs, store: (store.init(), jobs.load_csv(store, path, kw["ticker"]))[1])
    raise ValueError(f"unknown job {job!r}")


def import_activity_csv(db: str, client_id: str, file_name: str, data: bytes) -> tuple[bool, str]:
    """Import an activity CSV with ingest.jobs.import_activities (rejected whole on any problem)."""
    with _uploaded(file_name, data) as path:
        return _job(db, lambda _text: None, lambda jobs, store: jobs.import_activities(store, path, client_id))


def import_terms_file(db: str, file_name: str, data: bytes) -> tuple[bool, str]:
    """Store engagement terms from an uploaded TOML with ingest.jobs.import_terms (all or nothing, logged)."""
    with _uploaded(file_name, data) as path:
        return _job(db, lambda _text: None, lambda jobs, store: (store.init(), jobs.import_terms(store, path))[1])


def save_terms(db: str, terms) -> tuple[bool, str]:
    """Validate and store ``ingest.terms.Terms`` from the Engagement page's form; (ok, message in words)."""
    from ingest.terms import TermsError, checked_terms, write_terms
    from store import StoreError

    store = loaders.open_store(db)
    try:
        terms = checked_terms(terms, "The terms", store.clients())
        written = write_terms(store, terms)
    except (TermsError, StoreError) as exc:
        return False, str(exc)
    verb = "Recorded" if written["created"] else "Updated"
    return True, (f"{verb} engagement {written['engagement_id']} of {terms.client_id}: "
                  f"{written['option_grants']} option grant(s), {written['financings']} financing(s).")
