"""Engagement: the contract, the consultant's option and retainer shares, costs, and who gained."""
from __future__ import annotations

import streamlit as st

from app import charts, terms_form, ui
from app.views import common
from app.views import engagement as views

_num, _text, _date = st.column_config.NumberColumn, st.column_config.TextColumn, st.column_config.DateColumn
# Labels and units on screen; the CSV downloads keep the column names and full precision.
RETAINER_COLUMNS = {
    "payment_no": _num("No.", format="%d"), "payment_date": _date("Paid on"), "status": _text("Status"),
    "amount": _num("Retainer", format="dollar"),
    "price": _num("Price per share", format="$%.4f", help="Not rounded in the maths; shown to 4 decimals"),
    "shares_issued": _text("Shares issued", help="Retainer / price per share, rounded to whole shares as in the "
                           "report; the maths and the CSV keep the fraction"),
    "cumulative_shares": _text("Cumulative shares", help="Rounded to whole shares as in the report"),
    "dilution": _num("Dilution", format="percent", help="Shares issued / shares outstanding"),
    "cumulative_dilution": _num("Cumulative dilution", format="percent"),
    "value_at_issue": _num("Value when issued", format="dollar"),
    "value_marked": _num("Value at last close", format="dollar"),
    "gain_since_issue": _num("Gain since issue", format="dollar"),
}
TERMS_COLUMNS = {
    "engagement_id": None, "grant_id": None, "financing_id": None, "client_id": None,
    "consultant": _text("Consultant"), "signed_date": _date("Signed"), "start_date": _date("Start"),
    "end_date": _date("End"), "retainer_amount": _num("Retainer", format="dollar"),
    "retainer_frequency": _text("Paid"), "minimum_months": _num("Minimum months", format="%d"),
    "retainer_price_rule": _text("Price rule"), "retainer_price_days": _num("Averaging days", format="%d"),
    "notes": _text("Notes"), "holder": _text("Holder"), "shares": _num("Shares", format="%,d"),
    "strike": _num("Strike", format="$%.4f"), "grant_date": _date("Granted"), "expiry_date": _date("Expires"),
    "date": _date("Date"), "amount": _num("Amount", format="dollar"),
    "fee_rate": _num("Finder's fee", format="percent"), "description": _text("Description"),
}

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
eng = common.client_engagement(db, view.client_id)
editable = ui.may_edit()  # read-only roles are not offered the editor (writes are refused below the page anyway)
if eng["engagements"].empty:
    ui.empty_state(f"No engagement recorded for {view.client_name or view.client_id}.",
                   ("Record its terms below: the form takes the contract and the consultant's option; a terms "
                    "file (TOML, like `data/examples/engagement-terms.toml`, or `python -m ingest import-terms`) "
                    "also carries financings and shares outstanding.") if editable else None)
    if editable:
        terms_form.render(db, view.client_id, eng, view, simulated=simulated)
    else:
        ui.read_only_note("the engagement terms")
    st.stop()

st.subheader("Contract")
terms = views.engagement_terms(db, view.client_id)
st.markdown("**Consultant:** " + ui.escape_md(terms["consultant"]))
for col, (label, value, help_text) in zip(ui.metric_grid(st, len(terms["metrics"])), terms["metrics"]):
    ui.metric(col, label, value, None, help_text)
if terms["notes"]:
    ui.text(terms["notes"], caption=True)
with st.expander("Terms as stored"):
    for frame in (eng["engagements"], eng["grants"], eng["financings"]):
        if not frame.empty:
            st.dataframe(frame, hide_index=True, column_config=TERMS_COLUMNS)
if not editable:
    terms_form.render_read_only(db, view.client_id, eng, view, simulated=simulated)
elif st.toggle("Edit the terms", key="edit_terms", help="A form for the contract and the option; upload or download "
               "the terms as a TOML file"):  # a toggle, not an expander: the form's widgets cost ~35 ms a run
    terms_form.render(db, view.client_id, eng, view, simulated=simulated)

st.subheader("Option")
option = views.option_view(db, view)
if option is None:
    ui.empty_state("No option grant to value (or no prices over its life).")
else:
    fig = charts.option_value_chart(option["series"], strike=option["strike"],
                                    title=f"{view.ticker}: option moneyness, intrinsic and fair value",
                                    simulated=simulated)
    ui.chart(fig, "option-value", view, key="option", simulated=simulated)
    st.caption(option["summary"])

st.subheader("Retainer paid in stock")
retainer = views.retainer_view(db, view)
if retainer is None:
    ui.empty_state("No retainer schedule (no prices around the payment dates).")
else:
    fig = charts.retainer_chart(retainer["chart"], title=f"{view.ticker}: retainer shares issued and dilution",
                                simulated=simulated)
    ui.chart(fig, "retainer", view, key="retainer", simulated=simulated)
    st.dataframe(views.retainer_display(retainer["table"]), hide_index=True, key="table_retainer",
                 column_config=RETAINER_COLUMNS)
    ui.csv_download(retainer["table"], "retainer-schedule", view, key="retainer", simulated=simulated)

st.subheader("Costs and who gained")
ans = common.answer(db, view)
acc = ans.account if ans is not None else None
if acc is None:
    ui.empty_state("No engagement account for this view.", "It needs the client's engagement and its ticker's "
                   "prices; load them on the **Data** page.")
else:
    from analytics.answer import DIFFERENCE_NOTE, STAKE_COLUMNS

    ui.sentences([f"{label}: {text}" for key, label, text in ans.headline
                  if key in ("cost", "cost_per_month", "around", "whole", "dilution")])
    ui.text(ans.dilution["words"])
    ui.text(DIFFERENCE_NOTE, caption=True)
    c1, c2 = st.columns(2)
    with c1:
        ui.chart(charts.bar_chart(views.cost_table(acc), "kind", "amount", title="Programme cost by kind",
                                  simulated=simulated), "costs", view, key="costs", simulated=simulated)
    with c2:
        ui.chart(charts.stake_chart(ans.stake, STAKE_COLUMNS, company="company_cum_abnormal_value",
                                    title="Consultant's stake vs company's value over the engagement",
                                    simulated=simulated),
                 "stake", view, key="stake", simulated=simulated)
    for note in ans.notes:
        ui.text(note, caption=True)
