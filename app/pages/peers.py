"""Peers: the client against the median of its peer group (client left out), and a difference in differences."""
from __future__ import annotations

import streamlit as st

from analytics import peers as ap
from app import loaders, state, ui
from app.views import peers as views

st.title("Peers")
db, info = ui.page_header(None)
if ui.no_workspace(db, info):
    st.stop()
view = ui.sidebar_view(db)
simulated = bool(info.get("simulated"))
asked = state.url_value("measure")  # read before the selector writes the URL back: a refused value is said
measure = state.synced_selectbox("Measure", list(ap.CHART_MEASURES), "measure", container=st.sidebar,
                                 format_func=ap.CHART_MEASURES.get)
if asked and asked not in ap.CHART_MEASURES:
    st.warning(ui.escape_md(f"The measure {asked!r} in the link is not one of {', '.join(ap.CHART_MEASURES)}: "
                            f"showing {ap.CHART_MEASURES[measure].lower()} instead."), icon=":material/rule:")
if view.client_id is None:
    ui.empty_state("No client yet.", "Record one with `python -m ingest import-terms FILE` or on the "
                   "**Engagement** page, then add its peers.")
    st.stop()

clients = loaders.clients(db)
row = clients[clients["client_id"] == view.client_id]
client_ticker = str(row["ticker"].iloc[0]) if len(row) and isinstance(row["ticker"].iloc[0], str) else None
data = views.peer_data(db, view.client_id, client_ticker)
add_cmd = f"`python -m ingest peers add {view.client_id} TICKER [TICKER ...]`"


def _edit_group() -> None:
    """Add or remove peers (consultants; the store handed out by loaders.open_store checks the write)."""
    from app import auth
    from store import StoreError
    from store import peers as store_peers

    if not ui.may_edit():
        ui.read_only_note("the peer group")
        return
    with st.expander("Edit the peer group", expanded=not data.peers):
        with st.form("peers_add", clear_on_submit=True):
            text = st.text_input("Add peers (tickers as Yahoo spells them, comma-separated)", key="w_peers_add")
            go = st.form_submit_button("Add peers")
        if go:
            try:
                auth.require_write(db, view.client_id, "edit the peer group")
                out = store_peers.add_peers(loaders.open_store(db), view.client_id,
                                            [t for t in text.replace(";", ",").split(",") if t.strip()])
            except (StoreError, auth.AccessDenied) as exc:
                st.error(ui.escape_md(str(exc)))
            else:
                loaders.clear()
                msg = f"Added: {', '.join(out['added']) or 'nothing new'}."
                if out["without_bars"]:
                    msg += (f" Not loaded yet: {', '.join(out['without_bars'])}: load them on the **Data** page or "
                            f"with `python -m ingest load-yahoo {out['without_bars'][0]}`.")
                st.success(msg)
        if data.peers:
            drop = st.multiselect("Remove peers (their bars stay)", data.peers, key="w_peers_remove")
            if st.button("Remove", key="w_peers_remove_go", disabled=not drop):
                try:
                    auth.require_write(db, view.client_id, "edit the peer group")
                    store_peers.remove_peers(loaders.open_store(db), view.client_id, drop)
                except (StoreError, auth.AccessDenied) as exc:
                    st.error(ui.escape_md(str(exc)))
                else:
                    loaders.clear()
                    st.success(f"Removed: {', '.join(drop)}.")


if not data.peers:
    ui.empty_state(f"No peers are set for {ui.escape_md(view.client_name or view.client_id)}.",
                   f"Add the tickers it should be compared with: {add_cmd}, then load each like any ticker "
                   "(`python -m ingest load-yahoo TICKER` or `load-csv FILE --ticker TICKER`).")
    _edit_group()
    st.stop()

names = ", ".join(f"{p} ({data.names[p]})" if p in data.names else p for p in data.peers)
st.markdown(ui.escape_md(f"Peer group of {view.client_name or view.client_id} ({client_ticker or 'no ticker'}): "
                         f"{names}."))
if data.without_bars:
    first = data.without_bars[0]
    st.warning(f"No bars yet for {', '.join(data.without_bars)}: load {'them' if len(data.without_bars) > 1 else 'it'} "
               f"on the **Data** page or with `python -m ingest load-yahoo {first} --start YYYY-MM-DD` "
               f"(or `python -m ingest load-csv FILE --ticker {first}`); the comparison leaves "
               f"{'them' if len(data.without_bars) > 1 else 'it'} out until then.", icon=":material/download:")
if data.daily.empty or data.client_ticker is None or len(set(data.daily["ticker"])) < 2:
    ui.empty_state(data.problem or "Nothing to compare yet.")
    _edit_group()
    st.stop()

comp = views.comparison(data, measure, view.start, view.end)
if comp.empty:
    ui.empty_state(f"No bars of {data.client_ticker} in this period.", "Choose another period in the sidebar.")
else:
    fig = views.comparison_figure(comp, data.client_ticker, measure, data.engagement, simulated=simulated)
    ui.chart(fig, f"peers-{measure}", view, key="peers", simulated=simulated)
    st.caption(ui.escape_md(
        "The peer median leaves the client out; prices are rebased to 100 on the period's first day, volume-type "
        f"measures are trailing {ap.PEER_TRAILING_DAYS}-day means and the lower panel is client / peer median. "
        "The shaded band is the engagement." + (" Simulated data." if simulated else "")))

st.subheader("Did liquidity improve beyond the peers?")
if data.did is None:
    ui.empty_state(data.problem or "No comparison of the periods.")
else:
    (pre, post) = data.periods
    st.caption(ui.escape_md(
        f"Difference in differences: {data.client_ticker}'s change from {pre[0]:%Y-%m-%d}..{pre[1]:%Y-%m-%d} (the "
        f"same number of trading days before the engagement) to the engagement {post[0]:%Y-%m-%d}..{post[1]:%Y-%m-%d}, "
        "minus the change of the peers' daily median over the same dates." + (" Simulated data." if simulated else "")))
    ui.sentences([r for r in data.did["reading"]])
    ui.table(views.did_frame(data.did), "peers-did", view, key="peers_did", simulated=simulated)
    ui.sentences([ap.method_sentence(int(data.did["n_peers"].iloc[0]), int(data.did["n_placebo"].max()),
                                     float(data.did["level"].iloc[0]))])
    for r in data.did.itertuples(index=False):
        if r.note:
            st.caption(ui.escape_md(f"{r.label} {r.note}; the client's and the peers' prices need not move alike."))
    for note in data.notes:
        st.caption(ui.escape_md(note))
_edit_group()
