"""Promotion integrity (analytics.integrity): every figure on tiny named inputs, the arithmetic in comments."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics import integrity as ig
from analytics.retainer import retainer_schedule

D = pd.Timestamp

# --- the compensation register ----------------------------------------------------------------------

# Weekday closes of $0.05 from 2024-01-01 to 2024-03-29: a $1,000 retainer paid at the close on the
# payment date buys 1,000 / 0.05 = 20,000 shares; start 2024-01-02, end 2024-03-01 -> payments on
# 01-02 and 02-02 (03-02 is after the end), each worth 20,000 x 0.05 = $1,000 when issued.
FLAT_DAYS = pd.bdate_range("2024-01-01", "2024-03-29")
FLAT_PRICES = pd.DataFrame({"date": FLAT_DAYS, "close": 0.05})
TINY_ENGAGEMENT = {"consultant": "PMR", "start_date": D("2024-01-02"), "end_date": D("2024-03-01"),
                   "signed_date": D("2024-01-02"), "retainer_amount": 1000.0, "minimum_months": 0,
                   "retainer_price_rule": "close_on_payment", "retainer_price_days": None}
ONE_GRANT = pd.DataFrame({"holder": ["PMR"], "shares": [5_000_000.0], "strike": [0.04],
                          "grant_date": [D("2024-01-02")], "expiry_date": [D("2024-02-15")]})
ONE_FINANCING = pd.DataFrame({"financing_id": [1], "date": [D("2024-02-20")], "amount": [250_000.0],
                              "fee_rate": [0.10], "description": ["placement"]})
ONE_MANUAL = pd.DataFrame({"date": [D("2024-01-15")], "payer": ["A shareholder"], "recipient": ["PMR"],
                           "kind": ["cash"], "amount": [500.0], "shares": [np.nan], "notes": ["expenses"]})


def tiny_register():
    sched = retainer_schedule(TINY_ENGAGEMENT, FLAT_PRICES, as_of="2024-03-29")
    return ig.compensation_register(TINY_ENGAGEMENT, payer="Tiny Co", retainer=sched, grants=ONE_GRANT,
                                    financings=ONE_FINANCING, manual=ONE_MANUAL)


def test_register_rows_from_terms_schedule_and_manual():
    reg = tiny_register()
    got = [(r.date.strftime("%Y-%m-%d"), r.kind, r.source) for r in reg.itertuples()]
    assert got == [("2024-01-02", "retainer shares", "retainer schedule"), ("2024-01-02", "option", "terms"),
                   ("2024-01-15", "cash", "manual"), ("2024-02-02", "retainer shares", "retainer schedule"),
                   ("2024-02-20", "finder's fee", "terms")]
    shares = reg[reg["kind"] == "retainer shares"]
    assert shares["shares"].tolist() == pytest.approx([20_000, 20_000])      # 1,000 / 0.05
    assert shares["amount"].tolist() == pytest.approx([1_000, 1_000])        # 20,000 x 0.05
    assert reg.loc[reg["kind"] == "finder's fee", "amount"].item() == pytest.approx(25_000)  # 250,000 x 10%
    opt = reg[reg["kind"] == "option"].iloc[0]
    assert (opt["shares"], opt["strike"], opt["expiry_date"]) == (5_000_000, 0.04, D("2024-02-15"))
    assert np.isnan(opt["amount"])  # an option is not a sum paid
    assert set(reg.loc[reg["source"] != "manual", "payer"]) == {"Tiny Co"}


def test_register_empty_when_nothing_recorded():
    reg = ig.compensation_register(None, payer="X")
    assert reg.empty and list(reg.columns) == list(ig.REGISTER_COLUMNS)


DISCLOSURE_CASES = {
    # as of -> phrases present, phrases absent
    "before_anything": ("2024-01-01", ["No compensation to PMR had been recorded"], ["shares of"]),
    "after_first_payment": ("2024-01-10", ["20,000 shares of Tiny Co (TINY) as its retainer (1 payment, worth $1,000",
                                           "an option to buy 5,000,000 shares at $0.0400 a share, granted 2024-01-02 "
                                           "and expiring 2024-02-15"], ["finder", "A shareholder"]),
    "after_fee": ("2024-02-21", ["40,000 shares of Tiny Co (TINY) as its retainer (2 payments, worth $2,000",
                                 "a $25,000 finder's fee of 10.0% on the $250,000 financing of 2024-02-20",
                                 "A shareholder has paid PMR: $500 (cash, 2024-01-15)"], []),
}


@pytest.mark.parametrize("case", DISCLOSURE_CASES)
def test_disclosure_text_uses_the_register_as_of_the_activity(case):
    day, present, absent = DISCLOSURE_CASES[case]
    text = ig.disclosure_text(tiny_register(), day, security="Tiny Co (TINY)", consultant="PMR",
                              engagement=TINY_ENGAGEMENT)
    for p in present:
        assert p in text
    for a in absent:
        assert a not in text
    assert "receives $1,000 a month in shares until 2024-03-01" in text
    assert "lawful" not in text


def test_disclosure_status_flags_false_and_missing():
    acts = pd.DataFrame({"activity_id": [1, 2, 3, 4], "date": pd.to_datetime(["2024-01-02"] * 4),
                         "type": ["press_release", "fax_mail_blast", "conference", "analyst_intro"],
                         "title": list("abcd"), "disclosed": pd.array([True, False, None, None], dtype="boolean")})
    out = ig.disclosure_status(acts)
    assert out["activity_id"].tolist() == [1, 2, 3]  # an analyst introduction describes nothing to the public
    assert out["status"].tolist() == ["disclosed", "not disclosed", "not recorded"]
    assert out["flagged"].tolist() == [False, True, True]


# --- trades ---------------------------------------------------------------------------------------------

def test_holdings_add_receipts_and_trades():
    receipts = pd.DataFrame({"holder": ["PMR"], "date": [D("2024-01-02")], "shares": [20_000.0]})
    trades = pd.DataFrame({"holder": ["PMR", "PMR", "CEO"], "date": pd.to_datetime(["2024-01-03", "2024-01-04",
                                                                                       "2024-01-03"]),
                           "shares": [-5_000.0, 1_000.0, 300.0]})
    h = ig.holdings(trades, receipts)
    pmr = h[h["holder"] == "PMR"]
    assert pmr["holding"].tolist() == [20_000, 15_000, 16_000]  # 20,000 - 5,000 = 15,000; + 1,000
    assert h.loc[h["holder"] == "CEO", "holding"].tolist() == [300]


# Ten trading days, 1,000 shares each; a press release on day 2 (2024-01-03) with N = 2 covers days 2..4
# (01-03 to 01-05): 3,000 shares traded, of which PMR sold 600 + 300 = 900 -> share 900 / 3,000 = 30%.
TEN_DAYS = pd.bdate_range("2024-01-01", periods=10)
TEN_BARS = pd.DataFrame({"date": TEN_DAYS, "close": 0.10, "volume": 1_000.0})
SALES = pd.DataFrame({"trade_id": [1, 2, 3], "holder": "PMR", "date": TEN_DAYS[[3, 4, 7]],
                      "shares": [-600.0, -300.0, -200.0], "price": [0.12, np.nan, 0.10]})


def test_sales_after_a_promotional_activity_with_their_share_of_volume():
    acts = pd.DataFrame({"activity_id": [7, 8], "date": [TEN_DAYS[2], TEN_DAYS[2]], "type": ["press_release",
                                                                                            "analyst_intro"],
                         "title": ["pr", "intro"], "after_close": [False, False]})
    out = ig.sales_after_activities(SALES, acts, TEN_BARS, days=2)
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["activity_id"], row["window_start"], row["window_end"]) == (7, TEN_DAYS[2], TEN_DAYS[4])
    assert row["shares_sold"] == 900 and row["window_volume"] == 3_000
    assert row["share_of_volume"] == pytest.approx(0.30)
    assert row["sale_value"] == pytest.approx(600 * 0.12 + 300 * 0.10)  # no price on trade 2: the close
    assert row["trade_ids"] == "1,2"


def test_after_close_activity_starts_its_window_the_next_day():
    acts = pd.DataFrame({"activity_id": [7], "date": [TEN_DAYS[2]], "type": ["press_release"], "title": ["pr"],
                         "after_close": [True]})
    row = ig.sales_after_activities(SALES, acts, TEN_BARS, days=2).iloc[0]
    # day 0 = day 3 (01-04), window days 3..5: sales 600 + 300 = 900 of 3,000
    assert (row["window_start"], row["window_end"], row["shares_sold"]) == (TEN_DAYS[3], TEN_DAYS[5], 900)


def test_reversed_runup_public_purchases_minus_recorded_sales():
    pers = pd.DataFrame({"event_id": [1, 2, 3], "window_start": -1, "window_end": 1, "car": [0.10, -0.05, 0.08],
                         "status_60": ["reversed", "reversed", "no significant reversal"]})
    abnormal = pd.DataFrame({"event_id": [1, 1, 1, 1], "rel_day": [-1, 0, 1, 2], "date": TEN_DAYS[[0, 1, 2, 3]]})
    sales = pd.DataFrame({"holder": ["PMR"], "date": [TEN_DAYS[1]], "shares": [-500.0], "price": [0.08]})
    out = ig.runup_public_purchases(pers, abnormal, TEN_BARS, sales, horizon=60)
    assert out["event_id"].tolist() == [1]  # the drop (event 2) and the one that stayed (3) are left out
    row = out.iloc[0]
    # days -1..1: 3 x 1,000 shares x $0.10 = $300; PMR sold 500 x 0.08 = $40 -> $260 bought by others
    assert (row["dollar_volume"], row["recorded_sales_value"], row["public_bought"]) == pytest.approx((300, 40, 260))


# --- Rule 144 -------------------------------------------------------------------------------------------

HOLDING_CASES = {
    "reporting_issuer": ({"reporting_issuer": True}, 6),
    "non_reporting_issuer": ({"reporting_issuer": False}, 12),
    "engagement_override": ({"reporting_issuer": False, "holding_months": 3}, 3),
    "registered_shares": ({"registered_shares": True, "holding_months": 9}, 0),
}


@pytest.mark.parametrize("case", HOLDING_CASES)
def test_holding_period(case):
    rules, months = HOLDING_CASES[case]
    assert ig.holding_period_months(rules)[0] == months


def test_rule144_sellable_dates_are_calendar_months_later():
    sched = pd.DataFrame({"payment_no": [1, 2, 3], "status": ["issued", "issued", "scheduled"],
                          "payment_date": pd.to_datetime(["2024-01-31", "2024-08-31", "2024-09-30"]),
                          "shares_issued": [100.0, 200.0, np.nan]})
    out = ig.rule144_schedule(sched, {"reporting_issuer": True}, as_of="2024-12-31")
    # 01-31 + 6 months = 07-31; 08-31 + 6 months = 2025-02-28 (February has no 31st)
    assert out["sellable_date"].tolist() == [D("2024-07-31"), D("2025-02-28")]
    assert out["sellable"].tolist() == [True, False]


# Weekdays 2024-02-05 to 2024-03-15 with 3,000 shares a day. For Wednesday 2024-03-13 the four calendar weeks
# before its week (Mon 03-11) are Mon 02-12 to Sun 03-10: 20 weekdays x 3,000 = 60,000 -> 15,000 a week.
VOL_BARS = pd.DataFrame({"date": pd.bdate_range("2024-02-05", "2024-03-15"), "close": 0.1, "volume": 3_000.0})


def test_average_weekly_volume_of_the_four_calendar_weeks_before():
    avg, lo, hi = ig.average_weekly_volume(VOL_BARS, "2024-03-13")
    assert (avg, lo, hi) == (15_000, D("2024-02-12"), D("2024-03-10"))


LIMIT_CASES = {
    # rules -> limit, headroom. 1% of 1,000,000 = 10,000; weekly 15,000; sold 4,000 in the 3 months
    "exchange_listed_affiliate": ({"affiliate": True, "otc": False}, 15_000, 11_000),
    "otc_affiliate_one_percent_only": ({"affiliate": True, "otc": True}, 10_000, 6_000),
}


@pytest.mark.parametrize("case", LIMIT_CASES)
def test_affiliate_volume_limit(case):
    rules, limit, headroom = LIMIT_CASES[case]
    sales = pd.DataFrame({"date": pd.to_datetime(["2024-01-20", "2023-12-01"]), "shares": [-4_000.0, -1_000.0]})
    v = ig.affiliate_volume_limit(VOL_BARS, 1_000_000, sales, rules, "2024-03-13")
    assert v.applies and (v.limit, v.sold_in_three_months, v.headroom) == (limit, 4_000, headroom)


def test_no_volume_limit_for_a_non_affiliate():
    assert not ig.affiliate_volume_limit(VOL_BARS, 1_000_000, None, {"affiliate": False}, "2024-03-13").applies


EXERCISE_CASES = {
    "exercise_trade": (pd.DataFrame({"date": [D("1999-02-10")], "shares": [1_000_000.0],
                                     "notes": ["option exercise at $0.04"]}), "1999-03-01", "exercised", 1_000_000),
    "expired": (pd.DataFrame({"date": [D("1999-02-10")], "shares": [-10.0], "notes": ["sale"]}), "1999-03-01",
                "expired, no exercise recorded", 0),
    "live": (None, "1999-02-01", "live, no exercise recorded", 0),
}


@pytest.mark.parametrize("case", EXERCISE_CASES)
def test_option_exercise_and_expiry(case):
    trades, as_of, status, shares = EXERCISE_CASES[case]
    grants = pd.DataFrame({"holder": ["PMR"], "shares": [5e6], "strike": [0.04], "grant_date": [D("1999-01-04")],
                           "expiry_date": [D("1999-02-15")]})
    row = ig.option_exercises(grants, trades, None, as_of).iloc[0]
    assert (row["status"], row["exercised_shares"]) == (status, shares)


# --- promotion and black-out calendar -------------------------------------------------------------

def test_promotion_windows_merge_within_the_tail():
    acts = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-10", "2024-02-20", "2024-01-05"]),
                         "end_date": pd.to_datetime([None, None, "2024-02-22", None]),
                         "type": ["press_release", "fax_mail_blast", "conference", "analyst_intro"]})
    w = ig.promotion_windows(acts, tail_days=15)
    # 01-01 covers to 01-16, the fax of 01-10 falls inside: one window to 01-10 + 15 = 01-25; the conference
    # ends 02-22 -> 03-08; the analyst introduction is not promotional
    assert [(r.start, r.last_piece, r.end, r.pieces) for r in w.itertuples()] == [
        (D("2024-01-01"), D("2024-01-10"), D("2024-01-25"), 2), (D("2024-02-20"), D("2024-02-22"), D("2024-03-08"), 1)]


def test_blackout_windows_and_trades_inside():
    events = pd.DataFrame({"date": pd.to_datetime(["2024-03-01", "2024-03-20", "2024-04-01"]),
                           "kind": ["earnings", "news", "other"], "title": ["Q4", "deal", "x"]})
    acts = pd.DataFrame({"date": pd.to_datetime(["2024-03-01"]), "type": ["press_release"], "title": ["Q4 PR"]})
    b = ig.blackout_windows(acts, events, before_days=5, after_days=2)
    # 03-01: 02-25..03-03 (earnings and its press release, one window); 03-20: 03-15..03-22; "other" is not material
    assert [(r.date, r.start, r.end) for r in b.itertuples()] == [
        (D("2024-03-01"), D("2024-02-25"), D("2024-03-03")), (D("2024-03-20"), D("2024-03-15"), D("2024-03-22"))]
    assert b["announcement"].iloc[0] == "Q4; Q4 PR"
    promo = pd.DataFrame({"window_no": [1], "start": [D("2024-03-10")], "last_piece": [D("2024-03-10")],
                          "end": [D("2024-03-25")], "pieces": [1]})
    trades = pd.DataFrame({"date": pd.to_datetime(["2024-02-25", "2024-03-04", "2024-03-22"]), "shares": [-1.0] * 3})
    t = ig.trades_in_windows(trades, promo, b)
    assert t["in_blackout"].tolist() == [True, False, True]   # both ends are inside
    assert t["in_promotion"].tolist() == [False, False, True]
    assert t["blackout_of"].iloc[2] == "2024-03-20 deal"


def test_sale_rules_fill_defaults():
    r = ig.sale_rules({"sale_flag_days": 3, "holding_months": None, "otc": np.False_})
    assert (r["sale_flag_days"], r["holding_months"], r["otc"], r["promotion_tail_days"]) == (3, None, False, 15)


# --- the composed record -------------------------------------------------------------------------------

def tiny_account(**kw):
    """FLAT prices ($0.05, 1,000 shares a weekday), the tiny engagement, a press release on 2024-01-03 (not
    disclosed), a fax blast on 2024-01-10 (not recorded), PMR selling 5,000 shares on 2024-01-04."""
    bars = FLAT_PRICES.assign(volume=1_000.0)
    acts = pd.DataFrame({"activity_id": [1, 2], "date": pd.to_datetime(["2024-01-03", "2024-01-10"]),
                         "type": ["press_release", "fax_mail_blast"], "title": ["pr", "fax"],
                         "after_close": [False, False], "disclosed": pd.array([False, None], dtype="boolean")})
    trades = pd.DataFrame({"trade_id": [1], "holder": ["PMR"], "role": ["consultant"], "date": [D("2024-01-04")],
                           "shares": [-5_000.0], "price": [0.05], "notes": [None]})
    return ig.integrity_account(client_name="Tiny Co", ticker="TINY", engagement=TINY_ENGAGEMENT, bars=bars,
                                activities=acts, grants=ONE_GRANT, financings=ONE_FINANCING, trades=trades,
                                shares_outstanding=1_000_000.0, as_of="2024-03-29", **kw)


def test_integrity_account_composes_the_record():
    acc = tiny_account()
    # holdings: 20,000 received 01-02, 5,000 sold 01-04 -> 15,000; 20,000 more on 02-02 -> 35,000
    assert acc.holdings.loc[acc.holdings["holder"] == "PMR", "holding"].tolist() == [20_000, 15_000, 35_000]
    # the sale is day 1 of the press release's window (01-03..01-10 with N = 5): 5,000 of 6 x 1,000 shares
    s = acc.sales_windows.iloc[0]
    assert (s["activity_id"], s["shares_sold"], s["window_volume"]) == (1, 5_000, 6_000)
    assert s["share_of_volume"] == pytest.approx(5_000 / 6_000)
    # promotion: 01-03 to 01-10 + 15 = 01-25, one window; black-out around the press release 12-29..01-05
    assert acc.trades[["in_promotion", "in_blackout"]].iloc[0].tolist() == [True, True]
    assert acc.rule144["sellable_date"].tolist() == [D("2024-07-02"), D("2024-08-02")]  # 6 months, reporting
    assert not acc.volume_limit.applies and acc.options["status"].iloc[0] == "expired, no exercise recorded"
    out = acc.amec_rows[0]
    assert (out.stage, out.value, out.change) == ("outputs", "2 (0 recorded with the compensation disclosure)",
                                                  "2 without a recorded disclosure")
    assert acc.findings[0].startswith("2 activities described the security: 0 recorded with their compensation "
                                      "disclosure, 1 recorded without it, 1 with no record either way.")
    assert acc.notes == (ig.NOT_LEGAL_ADVICE,)


def test_report_section_lays_out_the_account():
    from app.report_amec import integrity_section_html

    html = integrity_section_html(tiny_account(simulated=True))
    for phrase in ("<h2>Objectives and outcomes (AMEC)</h2>", "<h2>Promotion integrity</h2>", "Simulated data",
                   "Compensation register", "finder&#x27;s fee", "Communications without a recorded disclosure",
                   "PMR sold 5,000 shares 2024-01-03 to 2024-01-10, 83.3% of the 6,000 shares traded",
                   "6 months, reporting issuer (17 CFR 230.144(d)(1)(i))", ig.NOT_LEGAL_ADVICE):
        assert phrase in html, phrase


def test_findings_count_the_objectives_verdicts():
    scored = pd.DataFrame({"verdict": ["met", "met", "not met", "cannot tell"],
                           "set_before_first_activity": [True, True, False, None]})
    acc = tiny_account(objectives_scored=scored)
    assert "4 objectives: 2 met, 1 not met, 1 cannot tell; 2 set before the first activity." in acc.findings


@pytest.mark.parametrize("dates, words", [
    ({"signed_date": pd.NaT, "start_date": pd.NaT}, "Under the agreement, PMR receives $1,000 a month"),
    ({"signed_date": None, "start_date": D("2024-01-02")}, "Under the agreement of 2024-01-02, PMR receives"),
    ({"signed_date": D("2023-12-20"), "start_date": D("2024-01-02")}, "Under the agreement of 2023-12-20, PMR"),
])
def test_disclosure_text_of_a_contract_without_dates(dates, words):
    """Terms imported without signed or start date (a CLI-built workspace) name no date instead of failing."""
    text = ig.disclosure_text(tiny_register(), "2024-01-10", security="Tiny Co (TINY)", consultant="PMR",
                              engagement={**TINY_ENGAGEMENT, **dates})
    assert words in text
