"""Services: shareholder inquiries and response times, mailings and their responses, market makers and analysts."""
from __future__ import annotations

import streamlit as st

from analytics import services as sv
from app import loaders, state, ui
from app.views import services as views
from ingest.services import COLUMNS

st.title("Services")
db, info = ui.page_header(None, "What the services produced (inquiries, mailings, market makers and analysts), "
                                "each figure with its 90% interval.")
if ui.no_workspace(db, info):
    st.stop()
view = ui.sidebar_view(db)
simulated = bool(info.get("simulated"))
open_days, why_n = views.url_int(state.url_value("open_days"), sv.OPEN_AFTER_DAYS, 0, views.MAX_OPEN_DAYS,
                                 "open_days")
window_days, why_k = views.url_int(state.url_value("inq_window"), sv.RESPONSE_WINDOW_DAYS, 1,
                                   views.MAX_WINDOW_DAYS, "inq_window")
for why in (why_n, why_k):
    if why:
        st.sidebar.warning(why, icon=":material/rule:")
st.session_state["w_open_days"] = open_days
open_days = int(st.sidebar.number_input("Flag open inquiries older than (days)", 0, views.MAX_OPEN_DAYS,
                                        key="w_open_days", step=1))
state.remember("open_days", open_days)
st.session_state["w_inq_window"] = window_days
window_days = int(st.sidebar.number_input("Inquiries brought by an activity: days from it", 1,
                                          views.MAX_WINDOW_DAYS, key="w_inq_window", step=1))
state.remember("inq_window", window_days)
if view.client_id is None:
    ui.empty_state("No client yet.", "Record one with `python -m ingest import-terms FILE` or on the **Data** page, "
                   "then import its logs.")
    st.stop()

data = views.services_data(db, view.client_id, view.ticker)
span = views.period(view, data)
cid = view.client_id


def how_to_fill(table: str, what: str) -> str:
    job = {"inquiries": "import-inquiries", "mailings": "import-mailings", "coverage_counts": "import-coverage"}[table]
    return (f"Import a CSV with `python -m ingest {job} FILE --client {cid}` (columns `{COLUMNS[table]}`)"
            + (", or upload it or add rows under **Edit the logs** below." if ui.may_edit() else f"; ask the consultant to record {what}."))


if span is not None:
    start, end = span
    st.caption(ui.escape_md(f"{view.client_name or cid}: {start:%Y-%m-%d} to {end:%Y-%m-%d}."
                            + (" Simulated data." if simulated else "")))

# --- inquiries (service I) ------------------------------------------------------------------------------
st.subheader("Shareholder inquiries")
if data.inquiries.empty or span is None:
    ui.empty_state("No shareholder inquiries recorded yet.", how_to_fill("inquiries", "the inquiries"))
else:
    inq = views.inquiry_view(data, start, end, open_days, window_days)
    times = inq["times"]
    flagged = int(inq["open"]["flagged"].sum()) if len(inq["open"]) else 0
    slots = ui.metric_grid(st, 4, per_row=4)
    ui.metric(slots[0], "Inquiries received", f"{inq['received']}", f"{times['answered']} answered, {times['open']} open")
    ui.metric(slots[1], "Median response time", views.days_words(times["median"].estimate),
              views.quantile_words(times["median"]), "Answered minus received; distribution-free order-statistic "
              "interval (exact binomial coverage)")
    ui.metric(slots[2], "90th-percentile response time", views.days_words(times["p90"].estimate),
              views.quantile_words(times["p90"]))
    ui.metric(slots[3], f"Open over {open_days} days", f"{flagged}", f"at {end:%Y-%m-%d}")
    ui.chart(views.weekly_figure(inq["weeks"], simulated=simulated), "inquiries-by-week", view, key="svc_weeks",
             simulated=simulated)
    st.markdown(f"**Open inquiries at {end:%Y-%m-%d}** (flagged when older than {open_days} days)")
    if inq["open"].empty:
        st.caption("None: every inquiry of the period was answered by its end.")
    else:
        ui.table(views.open_frame(inq["open"], open_days), "open-inquiries", view, key="svc_open", simulated=simulated)
    st.markdown(f"**Inquiries after each release or mailing** ({window_days} days from it, against the baseline)")
    ui.text(views.pooled_sentence(inq["pooled"], window_days))
    if not inq["around"].empty:
        ui.table(views.around_frame(inq["around"]), "inquiries-after-activities", view, key="svc_around",
                 simulated=simulated)
        st.caption("Rate ratio: inquiries a day in the activity's window over those on the days outside every window; "
                   "exact conditional (Clopper-Pearson) interval and test. Windows of close activities overlap: each "
                   "row counts its whole window, the lag counts each inquiry once, from the latest activity before it.")

# --- mailings and lists (services B, H) -------------------------------------------------------------------
st.subheader("Mailings and lists")
if data.mailings.empty or span is None:
    ui.empty_state("No broker/dealer mailings or fax/mail blasts recorded yet.", how_to_fill("mailings", "the mailings"))
else:
    per, kinds, sizes = views.mailing_frames(data, start, end)
    if per.empty:
        ui.empty_state("No mailing in this period.", "Choose another period in the sidebar.")
    else:
        ui.table(per, "mailings", view, key="svc_mail", simulated=simulated)
        ui.table(kinds, "mailings-by-kind", view, key="svc_kinds", simulated=simulated)
        st.caption("Responses are calls + meetings + inquiries, each counted as one recipient who answered; 90% "
                   "Wilson interval of the rate; the cost per response's interval is the cost over recipients times "
                   "the rate's limits (no limit when the rate's lower limit is zero).")
        ui.chart(views.list_figure(sizes, simulated=simulated), "mailing-list-sizes", view, key="svc_lists",
                 simulated=simulated)

# --- market makers and analysts (services C, E) -------------------------------------------------------------
st.subheader("Market makers and analysts")
spreads = views.introduction_spreads(data)
if data.coverage.empty:
    ui.empty_state("No market-maker or analyst counts recorded yet.", how_to_fill("coverage_counts", "the counts"))
else:
    ui.chart(views.coverage_view(data, span[1] if span else None, simulated=simulated), "market-makers-analysts",
             view, key="svc_cov", simulated=simulated)
if spreads.empty:
    ui.empty_state("No market-maker or analyst introduction to measure the spread around.",
                   "Log them as activities (types market_maker_intro, analyst_intro) on the **Activities** page; the "
                   "stock's daily high and low give the Corwin-Schultz spread.")
else:
    st.markdown(f"**Quoted spread before and after each introduction** ({sv.SPREAD_WINDOW_DAYS} trading days each side)")
    ui.table(views.spread_frame(spreads), "spread-around-introductions", view, key="svc_spread", simulated=simulated)
    st.caption("Corwin-Schultz (2012) high-low estimate, percent of the price; the change is tested against the same "
               "change at every other split date of the stock's history (analytics.liquidity), and its 90% interval "
               "inverts that placebo. It moves with the price level: one tick is a larger share of a lower price.")

# --- the ROI report's rows --------------------------------------------------------------------------------
if span is not None:
    st.subheader("In the ROI report (AMEC)")
    amec = views.amec_frame(data, spreads, start, end, simulated)
    ui.sentences(views.amec_sentences(amec))
    ui.csv_download(amec, "services-amec", view, key="svc_amec", simulated=simulated)

# --- editing -----------------------------------------------------------------------------------------------
if not ui.may_edit():
    ui.read_only_note("the inquiry, mailing and coverage logs")
else:
    with st.expander("Edit the logs", expanded=False):
        for table, label in (("inquiries", "Inquiries"), ("mailings", "Mailings"),
                             ("coverage_counts", "Market makers and analysts")):
            st.markdown(f"**{label}**")
            shown = views.editor_frame(data, table)
            key = f"svc_edit_{table}"
            st.data_editor(shown, key=key, num_rows="dynamic", hide_index=True,
                           disabled=[views.ID_COLUMN[table]] if table != "coverage_counts" else [])
            pending = views.pending_edits(table, st.session_state.get(key), shown,
                                          data.activities["activity_id"].tolist() if len(data.activities) else [])
            for problem in pending["errors"]:
                st.error(ui.escape_md(problem))
            empty = pending["added"].empty and not pending["updated"] and not pending["deleted"]
            upload = st.file_uploader(f"Import a {label.lower()} CSV ({COLUMNS[table]})", type=["csv"],
                                      key=f"{key}_upload")
            if upload is not None and st.button(f"Import the {label.lower()} file", key=f"{key}_import"):
                ok, message = views.import_csv(db, table, cid, upload.name, upload.getvalue())
                (st.success if ok else st.error)(ui.escape_md(message))
                if ok:
                    loaders.clear()
            if st.button(f"Save {label.lower()}", key=f"{key}_save", disabled=empty or bool(pending["errors"])):
                from app import auth
                from store import StoreError

                try:
                    message = views.save_edits(db, cid, table, pending)
                except (StoreError, auth.AccessDenied) as exc:
                    st.error(ui.escape_md(str(exc)))
                else:
                    loaders.clear()
                    st.session_state.pop(key, None)
                    st.toast(message)
                    st.rerun()
