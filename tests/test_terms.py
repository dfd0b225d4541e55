"""Engagement terms (ingest.terms, Store.save_terms, `python -m ingest import-terms`): what is stored, what is refused."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ingest import jobs
from ingest.terms import TermsError, load_terms, terms_from_store, terms_to_toml, write_terms
from store import Store, StoreError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "examples" / "engagement-terms.toml"

MINIMAL = """
[client]
client_id = "acme"
name = "Acme Mining"
ticker = "acmx"

[engagement]
consultant = "PMR"
start_date = 2024-01-02
retainer_amount = 3500
minimum_months = 3
"""
FULL = MINIMAL + """
[[option_grants]]
holder = "PMR"
shares = 5_000_000
strike = 0.04
grant_date = 2024-01-02
expiry_date = 2024-02-15

[[financings]]
date = "2024-04-20"
amount = 250_000
fee_rate = 0.1

[[shares_outstanding]]
date = 2024-01-02
shares = 60_000_000
"""


def table(store: Store, name: str) -> pd.DataFrame:
    return {"engagements": store.engagements, "grants": store.option_grants, "financings": store.financings,
            "clients": store.clients, "shares": store.shares_outstanding}[name]()


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "ws.duckdb")
    s.init()
    return s


def test_full_terms_are_stored_as_written(store):
    written = write_terms(store, load_terms(FULL, known_clients=store.clients()))
    assert written == {"engagement_id": 1, "created": True, "option_grants": 1, "financings": 1,
                       "shares_outstanding": 1}
    client = table(store, "clients").iloc[0]
    assert (client["client_id"], client["name"], client["ticker"]) == ("acme", "Acme Mining", "ACMX")
    assert pd.isna(client["benchmark"])
    eng = table(store, "engagements").iloc[0]
    assert (eng["consultant"], eng["start_date"], eng["retainer_amount"], eng["minimum_months"]) == \
        ("PMR", pd.Timestamp("2024-01-02"), 3500.0, 3)
    assert eng["retainer_price_rule"] == "close_on_payment" and eng["retainer_frequency"] == "monthly"
    grant = table(store, "grants").iloc[0]
    assert (grant["shares"], grant["strike"], grant["expiry_date"]) == (5e6, 0.04, pd.Timestamp("2024-02-15"))
    fin = table(store, "financings").iloc[0]
    assert (fin["date"], fin["amount"], fin["fee_rate"]) == (pd.Timestamp("2024-04-20"), 250_000.0, 0.1)
    assert table(store, "shares")[["ticker", "shares", "source"]].values.tolist() == [["ACMX", 6e7, "terms"]]


def test_importing_twice_leaves_the_same_rows(store):
    for _ in range(2):
        write_terms(store, load_terms(FULL, known_clients=store.clients()))
    assert [len(table(store, t)) for t in ("clients", "engagements", "grants", "financings", "shares")] == \
        [1, 1, 1, 1, 1]


def test_a_changed_file_updates_the_engagement_and_replaces_grants_and_financings(store):
    write_terms(store, load_terms(FULL, known_clients=store.clients()))
    changed = FULL.replace("retainer_amount = 3500", "retainer_amount = 5000").replace("strike = 0.04", "strike = 0.05")
    changed = changed.split("[[financings]]")[0]  # the financing is no longer in the file
    written = write_terms(store, load_terms(changed, known_clients=store.clients()))
    assert written["engagement_id"] == 1 and not written["created"]
    assert table(store, "engagements")["retainer_amount"].tolist() == [5000.0]
    assert table(store, "grants")["strike"].tolist() == [0.05]
    assert table(store, "financings").empty


def test_terms_for_an_existing_client_need_only_its_id(store):
    store.save_client("acme", "Acme Mining", "ACMX")
    text = "[engagement]\nclient_id = 'acme'\nstart_date = 2024-01-02\nretainer_amount = 0\n" \
           "[[shares_outstanding]]\ndate = 2024-01-02\nshares = 1000\n"
    write_terms(store, load_terms(text, known_clients=store.clients()))
    assert table(store, "engagements")["client_id"].tolist() == ["acme"]
    assert table(store, "shares")["ticker"].tolist() == ["ACMX"]


def test_stored_terms_round_trip_through_toml(store):
    write_terms(store, load_terms(FULL, known_clients=store.clients()))
    eng = table(store, "engagements").iloc[0].to_dict()
    terms = terms_from_store(table(store, "clients").iloc[0].to_dict(), eng, store.option_grants(1),
                             store.financings(1), store.shares_outstanding("ACMX"))
    text = terms_to_toml(terms)
    again = load_terms(text)
    original = load_terms(FULL)
    assert again.client == {**original.client, "ticker": "ACMX"}
    assert {k: v for k, v in again.engagement.items() if k != "engagement_id"} == {
        **original.engagement, "retainer_frequency": "monthly", "retainer_price_rule": "close_on_payment"}
    assert again.engagement["engagement_id"] == 1
    assert again.option_grants == original.option_grants and again.financings == original.financings
    assert again.shares_outstanding == [{**original.shares_outstanding[0], "source": "terms"}]


def test_the_example_file_loads(store):
    terms = load_terms(EXAMPLE.read_text(), known_clients=store.clients())
    assert terms.client_id == "auxer"
    assert terms.option_grants[0]["shares"] == 5_000_000 and terms.option_grants[0]["strike"] == 0.04
    assert terms.engagement["retainer_amount"] == 3500 and terms.engagement["minimum_months"] == 3
    assert terms.engagement["start_date"] == dt.date(1999, 1, 4)


def _bad(old: str, new: str, text: str = FULL) -> str:
    assert old in text, old
    return text.replace(old, new)


BAD_TERMS = [
    ("not-toml", "[engagement\n", "not valid TOML"),
    ("no-engagement", "[client]\nclient_id = 'x'\nname = 'X'\n", "an [engagement] section is required"),
    ("unknown-section", FULL + "\n[fees]\nrate = 1\n", "unknown section [fees]"),
    ("unknown-key", _bad("minimum_months = 3", "minimum_months = 3\nretainer = 1"),
     "[engagement]: unknown key 'retainer'"),
    ("grant-unknown-key", _bad("strike = 0.04", "strike = 0.04\nprice = 1"), "[[option_grants]] #1: unknown key 'price'"),
    ("grants-not-a-list", MINIMAL + "\n[option_grants]\nshares = 1\n", "[option_grants] must be a list"),
    ("client-not-slug", _bad('client_id = "acme"', 'client_id = "Acme Mining"'), "must be a slug"),
    ("client-without-name", _bad('name = "Acme Mining"\n', ""), "[client]: name is required"),
    ("no-client", "[engagement]\nstart_date = 2024-01-02\nretainer_amount = 1\n", "name the client"),
    ("unknown-client", "[engagement]\nclient_id = 'ghost'\nstart_date = 2024-01-02\nretainer_amount = 1\n",
     "client 'ghost' is not in the workspace"),
    ("two-client-ids", _bad('consultant = "PMR"', 'consultant = "PMR"\nclient_id = "other"'), "differs from [client]"),
    ("no-start", _bad("start_date = 2024-01-02\n", ""), "start_date is required"),
    ("bad-date", _bad("start_date = 2024-01-02", 'start_date = "02/01/2024"'),
     "start_date = '02/01/2024' is not a date (YYYY-MM-DD)"),
    ("end-before-start", _bad("minimum_months = 3", "minimum_months = 3\nend_date = 2023-12-31"),
     "end_date is before start_date"),
    ("no-retainer", _bad("retainer_amount = 3500\n", ""), "retainer_amount (USD per payment) is required"),
    ("negative-retainer", _bad("retainer_amount = 3500", "retainer_amount = -1"), "retainer_amount is negative"),
    ("retainer-text", _bad("retainer_amount = 3500", 'retainer_amount = "$3,500"'),
     "retainer_amount = '$3,500' is not a number"),
    ("weekly", _bad("minimum_months = 3", 'minimum_months = 3\nretainer_frequency = "weekly"'),
     "only 'monthly' is supported"),
    ("months-fraction", _bad("minimum_months = 3", "minimum_months = 2.5"), "is not a whole number"),
    ("negative-months", _bad("minimum_months = 3", "minimum_months = -3"), "minimum_months = -3 is outside 0..1,200"),
    # issue 11: inputs that ended in a traceback or broke five pages
    ("end-9999", _bad("minimum_months = 3", "minimum_months = 3\nend_date = 9999-12-31"),
     "end_date 9999-12-31 is outside 1900-01-01..2100-12-31"),
    ("start-0001", _bad("start_date = 2024-01-02", "start_date = 0001-01-01"),
     "start_date 0001-01-01 is outside 1900-01-01..2100-12-31"),
    ("grant-expiry-2262", _bad("expiry_date = 2024-02-15", "expiry_date = 2262-04-12"),
     "expiry_date 2262-04-12 is outside"),
    ("date-1677", _bad('date = "2024-04-20"', 'date = "1677-09-21"'), "date 1677-09-21 is outside"),
    ("months-beyond-integer", _bad("minimum_months = 3", "minimum_months = 2147483648"),
     "minimum_months = 2147483648 is outside 0..1,200"),
    ("engagement-id-beyond-integer", _bad("minimum_months = 3", "minimum_months = 3\nengagement_id = 99999999999"),
     "engagement_id = 99999999999 is outside 1..2,147,483,647"),
    ("days-huge", _bad("minimum_months = 3", "minimum_months = 3\nretainer_price_days = " + "9" * 400),
     "retainer_price_days = " + "9" * 40 + "... is outside 1..1,000"),
    ("shares-1e309", _bad("shares = 60_000_000", "shares = 1e309"), "shares = inf is not a number"),
    ("amount-beyond-range", _bad("amount = 250_000", "amount = 1e30"), "amount = 1e+30 is beyond 1e+13"),
    ("strike-nan", _bad("strike = 0.04", "strike = nan"), "strike = nan is not a number"),
    ("client-id-integer", _bad('client_id = "acme"', "client_id = 42"), "client_id = 42 must be text in quotes"),
    ("consultant-integer", _bad('consultant = "PMR"', "consultant = 7"), "consultant = 7 must be text"),
    ("nested-5000", "[engagement]\nnotes = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ("inline-tables-5000", "[engagement]\nnotes = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n", "nested too deeply"),
    ("unknown-section-escaped", FULL + '\n["fe\\u001b[2Jes"]\nrate = 1\n', "unknown section [fe\\x1b[2Jes]"),
    ("unknown-key-capped", _bad("minimum_months = 3", "minimum_months = 3\n" + "k" * 300 + " = 1"),
     "unknown key '" + "k" * 40 + "...'"),
    ("notes-too-long", _bad('consultant = "PMR"', 'consultant = "PMR"\nnotes = "' + "x" * 6000 + '"'),
     "notes has 6,000 characters; at most 5,000"),
    ("unknown-rule", _bad("minimum_months = 3", 'minimum_months = 3\nretainer_price_rule = "vwap"'),
     "retainer_price_rule 'vwap' must be one of close_on_payment, avg_close_prior_n"),
    ("average-without-days", _bad("minimum_months = 3", 'minimum_months = 3\nretainer_price_rule = "avg_close_prior_n"'),
     "needs retainer_price_days"),
    ("grant-zero-strike", _bad("strike = 0.04", "strike = 0"), "[[option_grants]] #1: strike must be positive"),
    ("grant-no-shares", _bad("shares = 5_000_000\n", ""), "[[option_grants]] #1: shares is required"),
    ("grant-no-date", _bad("grant_date = 2024-01-02\n", ""), "grant_date is required"),
    ("grant-expires-first", _bad("expiry_date = 2024-02-15", "expiry_date = 2023-02-15"),
     "expiry_date is before grant_date"),
    ("fee-as-percent", _bad("fee_rate = 0.1", "fee_rate = 10"), "fee_rate 10 must be a fraction between 0 and 1"),
    ("financing-negative", _bad("amount = 250_000", "amount = -250_000"), "[[financings]] #1: amount is negative"),
    ("financing-no-date", _bad('date = "2024-04-20"\n', ""), "[[financings]] #1: date is required"),
    ("shares-zero", _bad("shares = 60_000_000", "shares = 0"), "[[shares_outstanding]] #1: shares must be positive"),
    ("shares-twice", FULL + "\n[[shares_outstanding]]\ndate = 2024-01-02\nshares = 1\n", "2024-01-02 is given twice"),
    ("shares-without-ticker", _bad('ticker = "acmx"\n', ""), "needs the client's ticker"),
]


@pytest.mark.parametrize("text, message", [(t, m) for _, t, m in BAD_TERMS], ids=[i for i, _, _ in BAD_TERMS])
def test_bad_terms_are_refused_with_the_reason_and_nothing_is_stored(store, text, message):
    with pytest.raises(TermsError) as err:
        write_terms(store, load_terms(text, "terms.toml", known_clients=store.clients()))
    assert message in str(err.value)
    assert str(err.value).startswith("terms.toml: engagement terms rejected")
    assert store.engagements().empty and store.clients().empty


def test_every_problem_is_listed_at_once():
    text = _bad("strike = 0.04", "strike = -1", _bad("retainer_amount = 3500", "retainer_amount = -1"))
    with pytest.raises(TermsError) as err:
        load_terms(text)
    assert len(err.value.problems) == 2


def test_a_failure_while_writing_leaves_the_store_as_it_was(store, monkeypatch):
    write_terms(store, load_terms(FULL, known_clients=store.clients()))
    before = {t: table(store, t) for t in ("clients", "engagements", "grants", "financings", "shares")}

    import store.store as store_module

    real = store_module._insert_rows

    def broken(con, table, *args):
        if table == "financings":  # the grants were already written in this transaction
            raise RuntimeError("disk full (injected)")
        return real(con, table, *args)
    monkeypatch.setattr(store_module, "_insert_rows", broken)
    changed = _bad("retainer_amount = 3500", "retainer_amount = 9999").replace("shares = 60_000_000", "shares = 1")
    with pytest.raises(RuntimeError, match="injected"):
        write_terms(store, load_terms(changed, known_clients=store.clients()))
    for name, frame in before.items():
        pd.testing.assert_frame_equal(table(store, name), frame)


def test_bulk_grants_match_the_row_by_row_writes(store, tmp_path):
    """save_terms writes grants with one INSERT; the rows equal those of save_option_grant one by one."""
    from store import Store

    grants = [{"holder": f"H{i}", "shares": 1000.0 + i, "strike": 0.01 * (i + 1),
               "grant_date": pd.Timestamp("2024-01-02"), "expiry_date": pd.Timestamp("2025-01-02") if i % 2 else None}
              for i in range(25)]
    eng = {"client_id": "acme", "start_date": pd.Timestamp("2024-01-02"), "retainer_amount": 1.0}
    client = {"client_id": "acme", "name": "Acme"}
    written = store.save_terms(eng, client=client, grants=grants)
    other = Store(tmp_path / "rowwise.duckdb")
    other.save_client("acme", "Acme")
    eng_id = other.save_engagement(**eng)
    for g in grants:
        other.save_option_grant(**g, engagement_id=eng_id)
    assert written["option_grants"] == 25
    pd.testing.assert_frame_equal(store.option_grants(), other.option_grants())


def test_ten_thousand_grants_are_one_insert(store):
    """The issue's 10,000 grants (39-67 s one row at a time): every row stored, ids 1..10,000, in one write."""
    grants = [{"holder": "H", "shares": 1.0 + i, "strike": 0.04, "grant_date": pd.Timestamp("2024-01-02")}
              for i in range(10_000)]
    store.save_terms({"client_id": "acme", "start_date": pd.Timestamp("2024-01-02"), "retainer_amount": 1.0},
                     client={"client_id": "acme", "name": "Acme"}, grants=grants)
    stored = store.option_grants()
    assert stored["grant_id"].tolist() == list(range(1, 10_001))
    assert stored["shares"].sum() == sum(1.0 + i for i in range(10_000))  # 10,000 + 49,995,000


def run(*args):
    return subprocess.run([sys.executable, "-m", "ingest", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=dict(os.environ))


def test_cli_imports_the_example_then_refuses_a_bad_file(tmp_path):
    db = tmp_path / "ws.duckdb"
    out = run("--db", db, "import-terms", EXAMPLE)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("import-terms auxer engagement 1: ok, 3 added, 0 updated")
    again = run("--db", db, "import-terms", EXAMPLE)
    assert again.stdout.strip().startswith("import-terms auxer engagement 1: ok, 2 added, 1 updated")
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace("strike = 0.04", "strike = -0.04"))
    refused = run("--db", db, "import-terms", bad)
    assert refused.returncode == jobs.EXIT_BAD_INPUT
    assert "[[option_grants]] #1: strike must be positive" in refused.stderr
    assert Store(db).option_grants()["strike"].tolist() == [0.04]
    log = Store(db).ingest_log()
    assert log["job"].tolist().count("import-terms") == 3 and "failed" in set(log["status"])
    missing = run("--db", db, "import-terms", tmp_path / "nope.toml")
    assert missing.returncode == jobs.EXIT_BAD_INPUT and "file not found" in missing.stderr


def test_a_note_goes_out_as_a_comment_and_reads_back(store):
    terms = load_terms(FULL)
    text = terms_to_toml(terms, note="SIMULATED demo workspace")
    assert "\n# SIMULATED demo workspace\n" in text
    assert load_terms(text) == terms


def test_an_engagement_id_new_to_the_workspace_is_created_and_another_clients_is_refused(store):
    written = write_terms(store, load_terms(FULL.replace('consultant = "PMR"', 'consultant = "PMR"\nengagement_id = 7'),
                                            known_clients=store.clients()))
    assert written["engagement_id"] == 7 and written["created"]
    store.save_client("other", "Other Corp", "OTH")
    other = "[engagement]\nclient_id = 'other'\nengagement_id = 7\nstart_date = 2024-01-02\nretainer_amount = 1\n"
    with pytest.raises(StoreError, match="engagement 7 belongs to client 'acme'"):
        write_terms(store, load_terms(other, known_clients=store.clients()))
    assert store.engagements()["client_id"].tolist() == ["acme"]
