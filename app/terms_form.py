"""The Engagement page's terms editor: a form for the contract and the option, a TOML upload and download.

Widgets only; the terms are validated and written by ``ingest.terms`` through ``app.actions``.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from analytics.answer import first_engagement
from app import actions, exports, loaders, ui

EARLIEST = dt.date(1970, 1, 1)  # date_input's default lower bound is ten years ago; engagements can be older
SIMULATED_NOTE = ("SIMULATED demo workspace: the contract terms are the real engagement's; the financing and the "
                  "shares outstanding are simulated.")
PRICE_RULES = {"close_on_payment": "Close on the payment date",
               "avg_close_prior_n": "Average close of the N trading days before"}


def _day(value) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def stored_terms(db: str, client_id: str, eng: dict):
    """The client's first engagement as ``ingest.terms.Terms`` (financings and shares kept as stored)."""
    from ingest.terms import Terms, terms_from_store

    clients = loaders.clients(db)
    # empty cells (a client without a benchmark, a firm) are left out, never written as "nan"
    client = {k: v for k, v in clients[clients["client_id"] == client_id].iloc[0].to_dict().items()
              if v is not None and not (not isinstance(v, str) and pd.isna(v))}
    if eng["engagements"].empty:
        return Terms(engagement={}, client=client)
    engagement = first_engagement(eng["engagements"]).to_dict()
    engagement_id = engagement["engagement_id"]
    grants = eng["grants"][eng["grants"]["engagement_id"] == engagement_id] if not eng["grants"].empty else None
    fins = eng["financings"][eng["financings"]["engagement_id"] == engagement_id] \
        if not eng["financings"].empty else None
    shares = loaders.shares_outstanding(db, client["ticker"]) if client.get("ticker") else None
    return terms_from_store(client, engagement, grants, fins, shares)


def render(db: str, client_id: str, eng: dict, view, *, simulated: bool = False) -> None:
    """The form (contract and first option grant), then the TOML upload and the download of the stored terms."""
    terms = stored_terms(db, client_id, eng)
    e = terms.engagement
    grant = terms.option_grants[0] if terms.option_grants else {}
    with st.form("terms_form", border=True):
        st.markdown("**Contract**")
        c1, c2, c3 = st.columns(3)
        consultant = c1.text_input("Consultant", value=e.get("consultant") or "")
        signed = c2.date_input("Signed", value=_day(e.get("signed_date")), min_value=EARLIEST)
        start = c3.date_input("Start", value=_day(e.get("start_date")), min_value=EARLIEST)
        c1, c2, c3 = st.columns(3)
        retainer = c1.number_input("Retainer per month (USD, paid in stock)", min_value=0.0, step=500.0,
                                   value=float(e.get("retainer_amount") or 0.0))
        months = c2.number_input("Minimum months", min_value=0, step=1, value=int(e.get("minimum_months") or 0))
        end = c3.date_input("End (empty: still running)", value=_day(e.get("end_date")), min_value=EARLIEST)
        c1, c2 = st.columns(2)
        rules = list(PRICE_RULES)
        rule = c1.selectbox("Price of each payment", rules, format_func=PRICE_RULES.get,
                            index=rules.index(e.get("retainer_price_rule") or "close_on_payment"))
        days = c2.number_input("N trading days (for the average)", min_value=1, step=1,
                               value=int(e.get("retainer_price_days") or 5))
        st.markdown("**The consultant's option** (shares 0: no option)")
        c1, c2, c3 = st.columns(3)
        holder = c1.text_input("Holder", value=grant.get("holder") or "")
        shares = c2.number_input("Shares under option", min_value=0.0, step=100_000.0, format="%.0f",
                                 value=float(grant.get("shares") or 0.0))
        strike = c3.number_input("Strike (USD per share)", min_value=0.0, step=0.01, format="%.5f",
                                 value=float(grant.get("strike") or 0.0))
        c1, c2 = st.columns(2)
        granted = c1.date_input("Granted", value=_day(grant.get("grant_date")), min_value=EARLIEST)
        expires = c2.date_input("Expires", value=_day(grant.get("expiry_date")), min_value=EARLIEST)
        st.caption("Financings (finder's fees) and shares outstanding come from the terms file below; saving "
                   "this form keeps the stored ones.")
        if st.form_submit_button("Save the terms", type="primary"):
            terms.engagement.update(
                consultant=consultant, signed_date=signed, start_date=start, end_date=end,
                retainer_amount=retainer, minimum_months=int(months), retainer_price_rule=rule,
                retainer_price_days=int(days) if rule == "avg_close_prior_n" else None)
            others = terms.option_grants[1:]
            terms.option_grants = ([{"holder": holder, "shares": shares, "strike": strike, "grant_date": granted,
                                     "expiry_date": expires}] if shares > 0 else []) + others
            ok, message = actions.save_terms(db, terms)
            if ok:
                loaders.clear()
                st.toast(message)
                st.rerun()
            st.error(message)

    c1, c2 = st.columns(2)
    with c1:
        upload = st.file_uploader("Upload a terms file (TOML)", type=["toml"], key="terms_upload",
                                  help="The format of data/examples/engagement-terms.toml: client, contract, "
                                       "option grants, financings, shares outstanding")
        if upload is not None and st.button("Import the terms", key="import_terms"):
            ok, message = actions.import_terms_file(db, upload.name, upload.getvalue())
            if ok:
                loaders.clear()
                st.toast(message)
                st.rerun()
            st.error(message)
    with c2:
        download(client_id, terms, view, simulated=simulated)


def download(client_id: str, terms, view, *, simulated: bool = False) -> None:
    """The stored terms as a TOML file (built on click, audited as an export); nothing without an engagement."""
    from ingest.terms import terms_to_toml

    if terms.engagement:
        ui.download(
            st, "Download the stored terms (TOML)",
            lambda: terms_to_toml(terms, note=SIMULATED_NOTE if simulated else None),
            exports.export_filename(view.ticker, "engagement-terms", None, None, "toml", simulated), client_id,
            mime="application/toml", key="terms_download", icon=":material/download:")


def render_read_only(db: str, client_id: str, eng: dict, view, *, simulated: bool = False) -> None:
    """What a read-only role gets instead of the editor: one line saying whom to ask, and the terms' download."""
    ui.read_only_note("the engagement terms")
    download(client_id, stored_terms(db, client_id, eng), view, simulated=simulated)
