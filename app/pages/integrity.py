"""Promotion integrity: what the consultant was paid and disclosed, what was sold when, Rule 144, objectives.

Layout only: the record is ``analytics.integrity.integrity_account`` through ``app.views.integrity``.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics.integrity import NOT_LEGAL_ADVICE
from analytics.objectives import MEASURES
from app import exports, loaders, report_amec, ui
from app.views import integrity as iv
from ingest.integrity import ROLES, validate_objective, validate_trade

db, info = ui.page_header("Promotion integrity", "Compensation and its disclosure, the consultant's trades against "
                          "the campaign, when retainer shares can be sold, and the objectives set before it.")
if ui.no_workspace(db, info):
    st.stop()
view = ui.sidebar_view(db)
if view.client_id is None or view.ticker is None:
    ui.empty_state("No client with a loaded ticker yet.", "Load the ticker and add the client on the **Data** page.")
    st.stop()
simulated = bool(info.get("simulated"))
st.info(NOT_LEGAL_ADVICE, icon=":material/gavel:")
data = iv.integrity_view(db, view, simulated=simulated)
acc = data.account
for note in data.notes:
    ui.text(note, caption=True)
st.subheader("What the data show")
ui.sentences(acc.findings or ["Nothing to report for this view."])
ui.text("The register, the trades, the windows and the Rule 144 dates are records and counts, not estimates: they "
        "have no sampling interval. The objectives' outcomes carry their intervals.", caption=True)
editable = ui.may_edit()

tabs = st.tabs(["Compensation and disclosure", "Trades", "Rule 144 and the option", "Calendar", "Objectives"])
with tabs[0]:
    st.markdown("**Compensation register** (derived from the terms and the retainer schedule, plus manual rows)")
    ui.table(iv.register_table(acc), "compensation-register", view, key="register", simulated=simulated)
    st.markdown("**Communications that describe the security** (flagged: disclosure false or not recorded)")
    shown = iv.disclosure_table(acc)
    if editable and len(shown):
        st.data_editor(shown, key="disclosure_editor", hide_index=True,
                       disabled=["activity_id", "date", "type", "title", "flagged"],
                       column_config={"disclosure": st.column_config.SelectboxColumn(
                           "Disclosure", options=list(iv.DISCLOSED_CHOICES), required=True)})
        if st.button("Save disclosure records", key="save_disclosures"):
            st.toast(iv.apply_disclosures(db, view.client_id, shown, st.session_state.get("disclosure_editor")))
            loaders.clear()
            st.session_state.pop("disclosure_editor", None)
            st.rerun()
    else:
        ui.table(shown, "disclosures", view, key="disclosures", simulated=simulated)
    if len(shown):
        labels = [f"{d} {t}: {title}" for d, t, title in zip(shown["date"], shown["type"], shown["title"])]
        pick = st.selectbox("Disclosure text for", list(range(len(shown))), key="disclosure_pick",
                            format_func=labels.__getitem__)
        text = iv.disclosure_text(acc, data.engagement, shown["date"].iloc[pick])
        st.code(text, language=None, wrap_lines=True)
        ui.download(st, "Download the disclosure text", lambda: text.encode("utf-8"),
                    exports.export_filename(view.ticker, "disclosure", shown["date"].iloc[pick],
                                            shown["date"].iloc[pick], "txt", simulated), view.client_id,
                    mime="text/plain", key="dl_disclosure", on_click="ignore", icon=":material/download:")

with tabs[1]:
    ui.chart(iv.integrity_figure(data, simulated=simulated, start=view.start, end=view.end),
             "integrity", view, key="integrity", simulated=simulated)
    st.markdown(f"**Sales within {acc.rules['sale_flag_days']} trading days after a promotional activity**")
    ui.table(iv.sales_table(acc), "sales-after-activities", view, key="sales", simulated=simulated)
    st.markdown("**Reversed run-ups: what the public bought** (the persistence test's reversals, an estimate of who "
                "paid for them)")
    ui.table(iv.runup_table(acc), "reversed-runups", view, key="runups", simulated=simulated)
    st.markdown("**Trades log**")
    trades = iv.trades_table(acc)
    if editable:
        shown_t = data.stored_trades[["trade_id", *iv.TRADE_EDITABLE]] if len(data.stored_trades) else \
            pd.DataFrame(columns=["trade_id", *iv.TRADE_EDITABLE])
        shown_t = shown_t.astype({c: object for c in ("holder", "role", "notes")})
        st.data_editor(shown_t, key="trade_editor", num_rows="dynamic", hide_index=True, disabled=["trade_id"],
                       column_config={"role": st.column_config.SelectboxColumn("Role", options=list(ROLES)),
                                      "shares": st.column_config.NumberColumn("Shares (+ bought, - sold)"),
                                      "date": st.column_config.DateColumn("Date")})
        changes = iv.pending_changes(st.session_state.get("trade_editor"), shown_t, "trade_id", validate_trade)
        for problem in changes.errors:
            st.error(problem)
        if st.button("Save trades", type="primary", key="save_trades", disabled=changes.empty or bool(changes.errors)):
            st.toast(iv.apply_changes(db, "trades", view.client_id, changes))
            loaders.clear()
            st.session_state.pop("trade_editor", None)
            st.rerun()
        ui.csv_download(trades, "trades", view, key="trades", simulated=simulated, label="Download trades (CSV)")
        upload = st.file_uploader("Import a trades CSV (holder,date,shares[,side,price,role,notes])", type=["csv"],
                                  key="trades_upload")
        if upload is not None and st.button("Import the trades", key="import_trades"):
            ok, message = iv.import_csv(db, "trades", view.client_id, upload.name, upload.getvalue())
            (st.success if ok else st.error)(message)
            if ok:
                loaders.clear()
    else:
        ui.table(trades, "trades", view, key="trades", simulated=simulated)
        ui.read_only_note("the trades log")

with tabs[2]:
    st.markdown("**Retainer tranches: holding period and the date each becomes sellable** (17 CFR 230.144(d))")
    ui.table(acc.rule144.assign(payment_date=acc.rule144["payment_date"].dt.date,
                                sellable_date=acc.rule144["sellable_date"].dt.date),
             "rule-144", view, key="rule144", simulated=simulated)
    v = acc.volume_limit
    if v is None:
        ui.text("Volume limit: no shares outstanding recorded, so 1% of them cannot be computed.", caption=True)
    elif not v.applies:
        ui.text(f"Volume limit: {v.basis}.", caption=True)
    else:
        ui.text(f"Volume limit as of {v.day:%Y-%m-%d}: {v.limit:,.0f} shares per three months ({v.basis}); sold in "
                f"the three months: {v.sold_in_three_months:,.0f}; headroom {v.headroom:,.0f} shares (counts from "
                "the record, no sampling interval).")
    ui.text("Sale rules of this engagement: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in acc.rules.items())
            + " (set them with `python -m ingest sale-rules --client ...`).", caption=True)
    st.markdown("**The option: exercise and expiry**")
    ui.table(acc.options, "options", view, key="options", simulated=simulated)

with tabs[3]:
    st.markdown(f"**Promotion windows** (from a promotional piece to {acc.rules['promotion_tail_days']} days after "
                "the last)")
    ui.table(acc.promotion, "promotion-windows", view, key="promotion", simulated=simulated)
    st.markdown(f"**Black-out windows** ({acc.rules['blackout_before_days']} days before to "
                f"{acc.rules['blackout_after_days']} after each material announcement)")
    ui.table(acc.blackout, "blackout-windows", view, key="blackout", simulated=simulated)

with tabs[4]:
    st.markdown("**Objectives scored against the outcomes** (outcome over the engagement, baseline the same number "
                "of days before it)")
    ui.table(iv.objectives_table(data.scored), "objectives", view, key="objectives_scored", simulated=simulated)
    if editable:
        shown_o = data.objectives[["objective_id", *iv.OBJECTIVE_EDITABLE]] if len(data.objectives) else \
            pd.DataFrame(columns=["objective_id", *iv.OBJECTIVE_EDITABLE])
        shown_o = shown_o.astype({c: object for c in ("measure", "direction", "notes")})
        st.data_editor(shown_o, key="objective_editor", num_rows="dynamic", hide_index=True, disabled=["objective_id"],
                       column_config={"measure": st.column_config.SelectboxColumn("Measure", options=list(MEASURES)),
                                      "direction": st.column_config.SelectboxColumn(
                                          "Direction", options=["at_least", "at_most"]),
                                      "set_date": st.column_config.DateColumn("Set on"),
                                      "due_date": st.column_config.DateColumn("Due")})
        changes = iv.pending_changes(st.session_state.get("objective_editor"), shown_o, "objective_id",
                                     validate_objective)
        for problem in changes.errors:
            st.error(problem)
        if st.button("Save objectives", type="primary", key="save_objectives",
                     disabled=changes.empty or bool(changes.errors)):
            st.toast(iv.apply_changes(db, "objectives", view.client_id, changes))
            loaders.clear()
            st.session_state.pop("objective_editor", None)
            st.rerun()
        upload = st.file_uploader("Import an objectives CSV (measure,target,set_date[,direction,due_date,notes])",
                                  type=["csv"], key="objectives_upload")
        if upload is not None and st.button("Import the objectives", key="import_objectives"):
            ok, message = iv.import_csv(db, "objectives", view.client_id, upload.name, upload.getvalue())
            (st.success if ok else st.error)(message)
            if ok:
                loaders.clear()
    else:
        ui.read_only_note("the objectives")
    st.markdown("**In the ROI report** (AMEC: objectives, outputs, outtakes, outcomes)")
    ui.download(st, "Download this section (HTML)", lambda: report_amec.integrity_section_html(acc).encode("utf-8"),
                exports.export_filename(view.ticker, "integrity-section", view.start, view.end, "html", simulated),
                view.client_id, mime="text/html", key="dl_integrity_section", on_click="ignore",
                icon=":material/download:")
ui.text(NOT_LEGAL_ADVICE, caption=True)
