"""Activities: the campaign log (add, edit, delete, CSV import/export) with each activity's reaction."""
from __future__ import annotations

import streamlit as st

from analytics.constants import ACTIVITY_TYPE_CODES, activity_label
from app import actions, activity_edits, loaders, ui
from app.views import activities as views
from app.views import common

db, info = ui.page_header("Activities", ("The campaign log. Edit cells, add rows at the bottom, select rows "
                                        "to delete, then save. " if ui.may_edit() else "The campaign log. ")
                          + "Reaction columns come from the event study.")
if ui.no_workspace(db, info):
    st.stop()
view = ui.sidebar_view(db)
simulated = bool(info.get("simulated"))
if view.client_id is None:
    ui.empty_state("No client in this workspace yet.", "Add one (with its ticker) under **Add or update a client** on "
                   "the **Data** page, then log its activities here.")
    st.stop()

types = st.multiselect("Types", ACTIVITY_TYPE_CODES, default=[], format_func=activity_label,
                       key="w_act_types", placeholder="All types")
ans = common.answer(db, view)  # once per run
log = views.activity_table(db, view, tuple(types))
first, last = common.price_span(db, view.ticker)

column_config = {  # the order of the columns in the grid: the reaction right after what the activity was
    "activity_id": st.column_config.NumberColumn("ID", disabled=True),
    "date": st.column_config.DateColumn("Date", required=True),
    "type": st.column_config.SelectboxColumn("Type", options=list(ACTIVITY_TYPE_CODES), required=True,
                                             format_func=activity_label),
    "title": st.column_config.TextColumn("Title", required=True, width="large"),
    "car": st.column_config.NumberColumn("CAR", format="percent", disabled=True,
                                         help="Cumulative abnormal return over the first event window"),
    "p_value": st.column_config.NumberColumn("p", format="%.3f", disabled=True, help="Two-sided p-value of the CAR"),
    "abnormal_volume": st.column_config.NumberColumn("Abn. volume", format="%.2f", disabled=True,
                                                     help="Mean abnormal log turnover over the same window"),
    "end_date": st.column_config.DateColumn("End", help="Last day of a multi-day activity"),
    "channel": st.column_config.TextColumn("Channel"),
    "reach": st.column_config.NumberColumn("Reach", min_value=0, step=1, help="People reached (count)"),
    "cost": st.column_config.NumberColumn("Cost (USD)", min_value=0, format="$%.0f"),
    "after_close": st.column_config.CheckboxColumn("After close", help="Announced after the close: day 0 is "
                                                   "the next trading day"),
    "notes": st.column_config.TextColumn("Notes"),
    "link": st.column_config.LinkColumn("Link"),
    "disclosure": st.column_config.TextColumn("Disclosure", disabled=True, help=(
        "Whether a communication that describes the security carried its compensation disclosure (set on the "
        "Promotion integrity page)")),
}
shown = log[[c for c in column_config if c in log.columns]]
# Nullable/object columns: a row added in the grid arrives with empty cells, which a plain bool or
# str column cannot hold (pandas warns it will refuse, inside st.data_editor).
shown = shown.astype({c: ("boolean" if c == "after_close" else object) for c in shown.columns
                      if c == "after_close" or str(shown[c].dtype) == "str"})
flags = views.disclosure_flags(log)
if flags:
    st.warning(flags, icon=":material/gavel:")
editable = ui.may_edit()  # read-only roles are not offered edits (writes are refused below the page anyway)
if shown.empty:
    ui.empty_state("No activities yet for this filter.", "Add the first one in the table below, or import a CSV."
                   if editable else None)
if editable:
    st.data_editor(shown, key="activity_editor", num_rows="dynamic", hide_index=True,
                   column_config=column_config, disabled=["activity_id", "car", "p_value", "abnormal_volume", "disclosure"])
    changes = activity_edits.pending_changes(st.session_state.get("activity_editor"), shown, view.client_id,
                                             first, last)
    for problem in changes.errors:
        st.error(problem)
    save = st.button("Save changes", type="primary", key="save_activities",
                     disabled=changes.empty or bool(changes.errors))
    if save:
        summary = actions.apply_activity_changes(db, changes)
        loaders.clear()
        st.session_state.pop("activity_editor", None)
        st.toast(summary)
        st.rerun()
else:
    st.dataframe(shown, key="activity_table", hide_index=True, column_config=column_config)
    ui.read_only_note("the activities")

ui.text(views.reaction_note(db, view, ans), caption=True)
if ans is not None and len(ans.skipped):
    # never dropped silently: activities outside the price history or without enough of it, with the reason
    with st.expander(f"{len(ans.skipped)} of the activities could not be studied", expanded=False):
        ui.table(ans.skipped.rename(columns={"event_id": "activity_id", "event_date": "date"}), "activities-not-studied",
                 view, key="not_studied", simulated=simulated,
                 column_config={"activity_id": st.column_config.NumberColumn("ID"),
                                "ticker": st.column_config.TextColumn("Ticker"),
                                "date": st.column_config.DateColumn("Date"),
                                "reason": st.column_config.TextColumn("Why", width="large")})
ui.csv_download(log, "activities", view, key="activities", simulated=simulated, label="Export CSV")

if editable:
    with st.expander("Import activities from CSV"):
        st.caption("Columns: date, type, title, and optionally end_date, channel, reach, cost, after_close, notes, "
                   "link.")
        upload = st.file_uploader("Activity CSV", type=["csv"], key="activity_csv")
        if upload is not None and st.button("Import", key="import_activities"):
            ok, message = actions.import_activity_csv(db, view.client_id, upload.name, upload.getvalue())
            (st.success if ok else st.error)(message)
            if ok:
                loaders.clear()
