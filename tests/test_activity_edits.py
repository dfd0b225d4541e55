"""The activity editor's pending edits -> validated store writes (app.activity_edits), on tiny named grids."""
from __future__ import annotations

import pandas as pd
import pytest

from app.activity_edits import pending_changes

# what the Activities page hands st.data_editor: two stored activities (after_close nullable, text as object)
SHOWN = pd.DataFrame({
    "activity_id": [11, 12],
    "date": [pd.Timestamp("1999-02-01").date(), pd.Timestamp("1999-03-01").date()],
    "end_date": [None, None],
    "type": pd.Series(["press_release", "conference"], dtype=object),
    "title": pd.Series(["Q4 results", "Las Vegas show"], dtype=object),
    "channel": pd.Series([None, None], dtype=object),
    "reach": pd.array([1000, None], dtype="Int64"),
    "cost": [0.0, 2500.0],
    "after_close": pd.array([False, True], dtype="boolean"),
    "notes": pd.Series([None, None], dtype=object),
    "link": pd.Series([None, None], dtype=object),
})
FIRST, LAST = pd.Timestamp("1998-07-01"), pd.Timestamp("1999-12-31")
NEW = {"date": "1999-04-01", "type": "press_release", "title": "Contract win"}


@pytest.mark.parametrize("edits, updated, added_types, deleted, errors", [
    ({"edited_rows": {0: {"title": "Q4 results (revised)"}}},
     {11: {"title": "Q4 results (revised)"}}, [], [], []),
    ({"edited_rows": {"1": {"type": "Press release"}}},  # a label typed in: stored as its code
     {12: {"type": "press_release"}}, [], [], []),
    ({"edited_rows": {1: {"cost": -5}}}, {12: {"cost": -5}}, [], [], ["Activity 12: cost is negative."]),
    ({"edited_rows": {7: {"title": "gone"}}}, {}, [], [], []),  # a row no longer shown
    ({"added_rows": [NEW]}, {}, ["press_release"], [], []),
    ({"added_rows": [{**NEW, "type": "G"}]}, {}, ["press_release"], [], []),  # the proposal's letter
    ({"added_rows": [{}, {"title": ""}]}, {}, [], [], []),  # blank rows the grid adds are ignored
    ({"added_rows": [{**NEW, "type": "webinar"}]}, {}, ["webinar"], [], ["New row 1: type 'webinar' is unknown."]),
    ({"added_rows": [{**NEW, "reach": "many"}]}, {}, ["press_release"], [], ["New row 1: reach must be a number."]),
    ({"added_rows": [{**NEW, "end_date": "1999-03-01"}]}, {}, ["press_release"], [],
     ["New row 1: end_date is before date."]),
    ({"added_rows": [{**NEW, "date": "2001-01-02"}]}, {}, ["press_release"], [],
     ["New row 1: 2001-01-02 is outside the stored prices (1998-07-01 to 1999-12-31)."]),
    ({"deleted_rows": [1, 5]}, {}, [], [12], []),
], ids=["edit-title", "edit-type-label", "edit-negative-cost", "edit-stale-row", "add", "add-letter",
        "add-blank", "add-unknown-type", "add-reach-text", "add-end-before-date", "add-outside-prices",
        "delete"])
def test_pending_changes(edits, updated, added_types, deleted, errors):
    changes = pending_changes(edits, SHOWN, "auxer", FIRST, LAST)
    assert changes.updated == updated
    assert changes.added.get("type", pd.Series(dtype=object)).tolist() == added_types
    assert changes.deleted == deleted
    assert changes.errors == errors
    assert changes.empty == (not updated and not added_types and not deleted)


def test_added_rows_are_typed_for_the_store():
    changes = pending_changes({"added_rows": [{**NEW, "after_close": None}]}, SHOWN, "auxer", FIRST, LAST)
    row = changes.added.iloc[0]
    assert row["client_id"] == "auxer" and row["date"] == pd.Timestamp("1999-04-01")
    assert changes.added["after_close"].dtype == bool and not row["after_close"]  # empty cell -> False


def test_no_editor_state_means_no_changes():
    assert pending_changes(None, SHOWN, "auxer").empty
