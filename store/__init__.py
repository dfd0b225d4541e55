"""The only module that opens the DuckDB workspace file (see docs/architecture.md, "Store API")."""
from store.bar_rules import BarValidationError
from store.corporate_events import confounding_events, read_corporate_events, upsert_corporate_events  # noqa: F401
from store.schema import CURRENT_VERSION
from store.store import (
    Store,
    StoreBusyError,
    StoreError,
    WriteSummary,
    bar_flags,
    default_db_path,
    lock_timeout,
)
from store import access  # noqa: E402  users, roles, per-client scope, audit log (store/access.py)

__all__ = ["BarValidationError", "CURRENT_VERSION", "Store", "StoreBusyError", "StoreError", "WriteSummary", "bar_flags",
           "default_db_path", "lock_timeout"]
