"""Engagement: the contract, the consultant's option and retainer shares, costs, and who gained."""
from __future__ import annotations

import streamlit as st

from app import analysis, charts, ui

db, info = ui.page_header("Engagement", "What the program costs the company (dollars and dilution) and what "
                          "the consultant's stake did meanwhile.")
if ui.no_workspace(db, info):
    st.stop()
view = ui.sidebar_view(db)
simulated = bool(info.get("simulated"))
if view.client_id is None:
    ui.empty_state("No client in this workspace yet.", "Add one under **Add or update a client** on the **Data** "
                   "page.")
    st.stop()
eng = analysis.client_engagement(db, view.client_id)
if eng["engagements"].empty:
    ui.empty_state(f"No engagement recorded for {view.client_name or view.client_id}.",
                   "The contract terms (retainer, minimum months, option grants, financings) have no form in the "
                   "dashboard yet: write them with `store.Store.save_engagement`, `save_option_grant` and "
                   "`save_financing`, or open the demo workspace to see this page filled in.")
    st.stop()

st.subheader("Contract")
terms = analysis.contract_terms(eng)
st.markdown(f"**Consultant:** {terms['consultant']}")
for col, (label, value, help_text) in zip(ui.metric_grid(st, len(terms["metrics"])), terms["metrics"]):
    ui.metric(col, label, value, None, help_text)
if terms["notes"]:
    st.caption(terms["notes"])
with st.expander("Terms as stored"):
    st.dataframe(eng["engagements"], hide_index=True)
    if not eng["grants"].empty:
        st.dataframe(eng["grants"], hide_index=True)
    if not eng["financings"].empty:
        st.dataframe(eng["financings"], hide_index=True)

st.subheader("Option")
option = analysis.option_view(db, view, eng["grants"])
if option is None:
    ui.empty_state("No option grant to value (or no prices over its life).")
else:
    fig = charts.option_value_chart(option["series"], strike=option["strike"],
                                    title=f"{view.ticker}: option moneyness, intrinsic and fair value",
                                    simulated=simulated)
    ui.chart(fig, "option-value", view, key="option", simulated=simulated)
    st.caption(option["summary"])

st.subheader("Retainer paid in stock")
retainer = analysis.retainer_view(db, view, eng["engagements"])
if retainer is None:
    ui.empty_state("No retainer schedule (no prices around the payment dates).")
else:
    fig = charts.retainer_chart(retainer["chart"], title=f"{view.ticker}: retainer shares issued and dilution",
                                simulated=simulated)
    ui.chart(fig, "retainer", view, key="retainer", simulated=simulated)
    ui.table(retainer["table"], "retainer-schedule", view, key="retainer", simulated=simulated)

st.subheader("Costs and who gained")
acc = analysis.engagement_account(db, view)
if acc is None:
    ui.empty_state("No engagement account for this view.", "It needs the client's engagement and its ticker's "
                   "prices; load them on the **Data** page.")
else:
    c1, c2 = st.columns(2)
    with c1:
        ui.chart(charts.bar_chart(analysis.cost_table(acc), "kind", "amount", title="Program cost by kind",
                                  simulated=simulated), "costs", view, key="costs", simulated=simulated)
    with c2:
        ui.chart(charts.lines_chart(analysis.stake_frame(acc), analysis.STAKE_COLUMNS,
                                    title="Consultant's stake vs company's abnormal value", simulated=simulated),
                 "stake", view, key="stake", simulated=simulated)
    for note in acc.notes:
        st.caption(note)
