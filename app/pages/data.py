"""Data: what is stored (coverage, sources, quality flags), refresh or add a ticker, upload a CSV, the log;
for consultants, who may sign in (users and access) and the audit log."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from app import actions, auth, loaders, ui
from app.views import data as views

col = st.column_config
UTC = "YYYY-MM-DD HH:mm"
COVERAGE_COLUMNS = {
    "ticker": col.TextColumn("Ticker"), "name": col.TextColumn("Name"), "kind": col.TextColumn("Kind"),
    "simulated": col.CheckboxColumn("Simulated"), "first_date": col.DateColumn("First bar", format="YYYY-MM-DD"),
    "last_date": col.DateColumn("Last bar", format="YYYY-MM-DD"), "bars": col.NumberColumn("Bars", format="%d"),
    "zero_volume_days": col.NumberColumn("Days without a trade", format="%d"),
    "stale_close_days": col.NumberColumn("Close moved without volume", format="%d"),
    "sources": col.TextColumn("Sources"), "last_ingested_at": col.DatetimeColumn("Last loaded (UTC)", format=UTC),
    "days_since_last_bar": col.NumberColumn("Days since the last bar", format="%d"),
}
FLAG_COLUMNS = {
    "ticker": col.TextColumn("Ticker"), "zero_volume_days": col.NumberColumn("Days without a trade", format="%d"),
    "flagged_bars": col.NumberColumn("Close moved without volume", format="%d"),
    "gaps_over_5_days": col.NumberColumn("Gaps over 5 days", format="%d"), "splits": col.NumberColumn("Splits", format="%d"),
}
LOG_COLUMNS = {
    "run_id": None, "job": col.TextColumn("Job"), "ticker": col.TextColumn("Ticker"), "status": col.TextColumn("Status"),
    "started_at": col.DatetimeColumn("Started (UTC)", format=UTC), "ended_at": col.DatetimeColumn("Ended (UTC)", format=UTC),
    "added": col.NumberColumn("Added", format="%d"), "updated": col.NumberColumn("Updated", format="%d"),
    "rejected": col.NumberColumn("Rejected", format="%d"), "error": col.TextColumn("Message", width="large"),
}
USER_COLUMNS = {
    "email": col.TextColumn("E-mail"), "name": col.TextColumn("Name"), "role": col.TextColumn("Role"),
    "firm": col.TextColumn("Firm"), "disabled": col.CheckboxColumn("Disabled"),
    "created_at": col.DatetimeColumn("Added (UTC)", format=UTC), "clients": col.TextColumn("Clients"),
}
AUDIT_COLUMNS = {
    "logged_at": col.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"), "email": col.TextColumn("Who"),
    "action": col.TextColumn("What"), "client_id": col.TextColumn("Client"), "detail": col.TextColumn("Detail", width="large"),
}

db, info = ui.page_header("Data", "Tracked tickers and benchmarks, coverage and quality. Loading runs the "
                          "ingest job here; pages never call Yahoo while they render.")
user = loaders.scope(db).user

cov = loaders.coverage(db) if not info.get("missing") else None
if cov is None or cov.empty:
    ui.empty_state(f"No ticker is stored in `{db}` yet.", "Add one below (yfinance or a Yahoo-format CSV), or "
                   "build the simulated demo with `python -m ingest demo`." if user.can_edit else None)
else:
    st.subheader("Coverage")
    ui.table(views.coverage_table(cov), "coverage", None, key="coverage", simulated=bool(info.get("simulated")),
             column_config=COVERAGE_COLUMNS)
    flags = views.quality_flags(db, cov)
    st.subheader("Quality flags")
    if flags.empty:
        st.success("No zero-volume days, gaps, flagged bars or splits.")
    else:
        ui.table(flags, "quality-flags", None, key="flags", column_config=FLAG_COLUMNS)

if not user.can_edit:
    st.info(f"Your role ({user.role}) reads only: loading prices, uploads, clients and users are managed by your "
            "consultant.", icon=":material/visibility:")
else:
    st.subheader("Add a ticker or refresh")
    c1, c2, c3 = st.columns([2, 1, 1])
    new_ticker = c1.text_input("Ticker (as Yahoo spells it)", key="w_new_ticker", placeholder="e.g. AAPL or ^RUT")
    start = c2.date_input("From", value=dt.date.today() - dt.timedelta(days=365 * 5), key="w_new_start")
    if c3.button("Load from yfinance", key="load_ticker", disabled=not new_ticker.strip()):
        with st.status(f"Loading {new_ticker.strip().upper()} from yfinance...", expanded=True) as box:
            ok, message = actions.run_ingest(db, "load", box.write, ticker=new_ticker.strip().upper(), start=start)
            box.update(label=message, state="complete" if ok else "error")
        loaders.clear()
    if st.button("Refresh every tracked ticker", key="refresh_all", disabled=cov is None or cov.empty):
        with st.status("Refreshing tracked tickers...", expanded=True) as box:
            ok, message = actions.run_ingest(db, "refresh", box.write)
            box.update(label=message, state="complete" if ok else "error")
        loaders.clear()

    st.subheader("Add or update a client")
    with st.form("client_form", border=True):
        f1, f2, f3, f4, f5 = st.columns(5)
        client_id = f1.text_input("Client id", placeholder="e.g. acme", help="Lower-case letters, digits, - or _")
        client_name = f2.text_input("Name", placeholder="Acme Mining Corp.")
        client_ticker = f3.text_input("Ticker", placeholder="e.g. ACME", help="Load its prices above")
        client_bench = f4.text_input("Benchmark", placeholder="e.g. ^RUT", help="Index for the market model")
        client_firm = f5.text_input("Consulting firm", value=user.firm or "", disabled=bool(user.firm),
                                    help="Its consultants see this client once signed in (deploy mode)")
        if st.form_submit_button("Save client"):
            ok, message = actions.save_client(db, client_id, client_name, client_ticker, client_bench)
            if ok and client_firm.strip() and not user.firm:
                try:
                    message += " " + auth.set_client_firm(db, client_id.strip(), client_firm)
                except auth.AccessError as exc:
                    ok, message = False, f"{message} {exc}"
            (st.success if ok else st.error)(message)
            if ok:
                loaders.clear()
    st.caption("The engagement's terms (retainer, option grants, financings, shares outstanding) are recorded on the "
               "**Engagement** page under *Edit the terms*, or from a TOML file with `python -m ingest import-terms`.")

    st.subheader("Upload a Yahoo-format CSV")
    up_ticker = st.text_input("Ticker of the file", key="w_csv_ticker")
    upload = st.file_uploader("Date,Open,High,Low,Close,Adj Close,Volume", type=["csv"], key="w_csv_file")
    if upload is not None and st.button("Load CSV", key="load_csv", disabled=not up_ticker.strip()):
        with st.status(f"Loading {upload.name}...", expanded=True) as box:
            ok, message = actions.run_ingest(db, "csv", box.write, ticker=up_ticker.strip().upper(),
                                             file_name=upload.name, data=upload.getvalue())
            box.update(label=message, state="complete" if ok else "error")
        (st.success if ok else st.error)(message)
        loaders.clear()

st.subheader("Ingest log")
log = loaders.ingest_log(db, 50) if not info.get("missing") else None
if log is None or log.empty:
    ui.empty_state("No ingest job has run on this workspace yet.")
else:
    st.dataframe(log, hide_index=True, key="ingest_log", column_config=LOG_COLUMNS)

if user.can_edit and not info.get("missing"):
    st.subheader("Users and access")
    st.caption("Who may sign in when the dashboard is deployed (`make serve`), with which role and clients. "
               "Consultants see their firm's clients and the ones assigned to them; analysts read and export their "
               "assigned clients; executives read their own company only. Also `python -m ingest users ...`.")
    people = loaders.users(db)
    if people.empty:
        ui.empty_state("No user yet: add the first consultant below.")
    else:
        st.dataframe(people, hide_index=True, key="users_table", column_config=USER_COLUMNS)
    mine = loaders.clients(db)
    names = dict(zip(mine.get("client_id", []), mine.get("name", [])))
    with st.form("user_form", border=True):
        u1, u2, u3, u4 = st.columns(4)
        u_email = u1.text_input("E-mail", placeholder="jane@example.com", help="The address they sign in with")
        u_name = u2.text_input("Name")
        u_role = u3.selectbox("Role", list(auth.access.ROLES), help="\n".join(
            f"{k}: {v}" for k, v in auth.access.ROLES.items()))
        u_firm = u4.text_input("Firm", value=user.firm or "", help="A consultant sees every client of their firm")
        u_clients = st.multiselect("Clients", list(names), format_func=lambda c: names.get(c, c))
        if st.form_submit_button("Save user"):
            try:
                st.success(auth.save_user(db, u_email, u_role, u_name, u_firm, u_clients))
                loaders.clear()
            except auth.AccessError as exc:
                st.error(str(exc))
    if not people.empty:
        r1, r2 = st.columns([3, 1])
        gone = r1.selectbox("Remove a user", [""] + list(people["email"]), key="w_remove_user")
        if r2.button("Remove", key="remove_user", disabled=not gone):
            try:
                st.success(auth.delete_user(db, gone))
                loaders.clear()
            except auth.AccessError as exc:
                st.error(str(exc))

    st.subheader("Audit log")
    trail = loaders.audit_log(db, 200)
    if trail.empty:
        ui.empty_state("Nothing recorded yet.", "Sign-ins, the clients viewed, exports and edits are recorded when the "
                       "dashboard runs with sign-in (deploy mode); the local demo has nobody to name.")
    else:
        st.dataframe(trail, hide_index=True, key="audit_table", column_config=AUDIT_COLUMNS)
