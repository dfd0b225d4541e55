"""The ROI report's AMEC measures and "Promotion integrity" section (issues 12 point 6, 13 point 5).

The independent reference for every figure is the page's own computation for the same view: the Integrity
page's account (``app.views.integrity.integrity_view``), the Services page's rows (``app.views.services``:
``services_data``, ``period``, ``introduction_spreads``, ``amec_frame``) and the Peers page's rows
(``app.views.peers.amec_rows``). The report must carry each of their texts, in its HTML and in the text
pdftotext reads from its PDF.
"""
from __future__ import annotations

import html as _html
import re
import shutil
import subprocess
from dataclasses import replace

import pandas as pd
import pytest

from analytics.amec import AmecRow
from analytics.integrity import NOT_LEGAL_ADVICE

HOSTILE_HOLDER = "<script>alert('holder')</script>"
HOSTILE_NOTES = "<img src=x onerror=alert('notes')>"
HOSTILE_TOPIC = "<iframe src='https://example.invalid/topic'></iframe>"


@pytest.fixture
def demo_ws(demo_db, tmp_path, monkeypatch):
    """A private copy of the demo workspace (it carries the simulated integrity, services and peers records)."""
    from app import loaders

    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    monkeypatch.setenv("IRDASH_DB", str(copy))
    loaders.clear()
    return copy


def _text(html_text: str) -> str:
    """The report's words as a person reads them: tags dropped, entities decoded, whitespace folded."""
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", html_text)).split())


def _view(db: str):
    """The view the pages build for the first client with the sidebar's default period (the engagement)."""
    from app import loaders, state
    from app.ui import _span

    client = loaders.clients(db).iloc[0]
    eng = loaders.engagements(db, client["client_id"])
    first, last = _span(loaders.coverage(db), client["ticker"])
    start, end = state.resolve_period("engagement", data_start=first, data_end=last,
                                      engagement_start=eng["start_date"].min(), engagement_end=eng["end_date"].max())
    return state.View(client["client_id"], client["name"], client["ticker"], client["benchmark"], start, end,
                      "engagement")


def _pdf_text(pdf: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: `make test` installs poppler-utils (or apt-get install poppler-utils)")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    from app.report import SIMULATED_LABEL

    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True,
                          timeout=120).stdout
    # the page furniture (running banner, page numbers) sits between the lines of a cell split by a page break
    text = re.sub(r"page \d+ of \d+", " ", text)
    return " ".join(text.split()).replace(SIMULATED_LABEL, " ")


def _squash(text: str) -> str:
    """Text without whitespace and hyphens: a table cell wraps anywhere in print, and pdftotext drops the hyphen
    of a line broken after it."""
    return re.sub(r"[\s\-\u2010\u2011]", "", _html.unescape(text))


def _page_rows(db: str, view, simulated: bool = True) -> dict[str, list]:
    """Each page's AMEC rows for the view, computed by the page's own view functions."""
    from app.views import integrity as iv
    from app.views import peers as pv
    from app.views import services as sv

    integrity = iv.integrity_view(db, view, simulated=simulated)
    data = sv.services_data(db, view.client_id, view.ticker)
    span = sv.period(view, data)
    frame = sv.amec_frame(data, sv.introduction_spreads(data), *span, simulated)
    return {"integrity": list(integrity.account.amec_rows), "scored": integrity.scored,
            "services": list(frame.itertuples(index=False)),
            "peers": list(pv.amec_rows(db, view.client_id, view.ticker, simulated=simulated))}


def _report(db: str, view):
    from app import report
    from app.views import report as rv

    content = rv.report_content(db, view, simulated=True)
    return content, report.report_html(content, embed_charts=False)


def test_the_section_is_in_amec_order_with_the_integrity_record_and_its_caveat(demo_ws):
    content, html_text = _report(str(demo_ws), _view(str(demo_ws)))
    amec = html_text[html_text.index("AMEC measures"):]
    marks = ["<h3>Objectives</h3>", "<h3>Outputs</h3>", "<h3>Outtakes</h3>", "<h3>Outcomes</h3>",
             "<h2>Promotion integrity</h2>", "Communications without a recorded disclosure",
             "Sales after promotional activities", "Trades in promotion or black-out windows",
             "Retainer shares and Rule 144", _html.escape(NOT_LEGAL_ADVICE)]
    at = [amec.index(m) for m in marks]
    assert at == sorted(at), dict(zip(marks, at))
    # after the programme's own AMEC sections, before the methodology appendix
    assert html_text.index("<h2>Impact</h2>") < html_text.index("AMEC measures") < html_text.index("Methodology")
    assert "Simulated data:" in amec and "None recorded." not in amec  # the demo records every stage
    # every row with its uncertainty, labelled simulated
    assert content.amec_rows and all(r.uncertainty.strip() and r.simulated for r in content.amec_rows)
    measures = amec[:amec.index("<h2>Promotion integrity</h2>")]
    assert measures.count("(simulated)</td></tr>") == len(content.amec_rows)


def test_each_figure_is_the_pages_own_in_the_html_and_the_pdf(demo_ws, tmp_path):
    from app import report

    db = str(demo_ws)
    view = _view(db)
    content, html_text = _report(db, view)
    pages = _page_rows(db, view)
    words = _text(html_text)
    pdf = _squash(_pdf_text(report.report_pdf(report.report_html(content)), tmp_path))
    rows = [*pages["integrity"], *pages["services"], *pages["peers"]]
    assert len(pages["services"]) >= 5 and len(pages["peers"]) >= 3 and len(pages["integrity"]) >= 6
    # the report's rows are the pages' rows, in the same order
    assert [(r.stage, r.measure, r.value, r.change, r.uncertainty) for r in content.amec_rows] == \
        [(r.stage, r.measure, r.value, r.change, r.uncertainty) for r in rows]
    for r in rows:
        for text in (r.measure, r.value, r.change, r.uncertainty):
            assert " ".join(str(text).split()) in words, ("HTML", r.measure, text)
            assert _squash(str(text)) in pdf, ("PDF", r.measure, text)
    # each objective scored: its target, its outcome with the verdict and interval, set before the first activity
    scored = pages["scored"]
    assert len(scored) >= 4
    for o in scored.itertuples(index=False):
        assert f": {o.verdict} (target" in words and o.uncertainty in words, o.label
    assert "before the first activity" in words


def test_the_url_period_governs_the_rows(demo_ws):
    db = str(demo_ws)
    whole = _view(db)
    first_quarter = replace(whole, start=pd.Timestamp("1999-01-04"), end=pd.Timestamp("1999-03-31"), period="custom")
    content, html_text = _report(db, first_quarter)
    pages = _page_rows(db, first_quarter)
    assert [r.value for r in content.amec_rows] == \
        [r.value for r in (*pages["integrity"], *pages["services"], *pages["peers"])]
    services = [r for r in content.amec_rows if "1999-03-31" in r.source]
    assert services, "the services' rows name the view's period"
    assert not any("1999-07-03" in r.source for r in content.amec_rows)
    # fewer trades fall in the shorter period: the integrity record follows it too
    whole_trades = _report(db, whole)[0].integrity.trades
    assert len(content.integrity.trades) < len(whole_trades)
    assert (pd.to_datetime(content.integrity.trades["date"]) <= pd.Timestamp("1999-03-31")).all()


def test_stored_text_is_escaped(demo_ws):
    from store import Store
    from store import integrity as si
    from store import services as ss

    ws = Store(demo_ws)
    si.merge_trades(ws, pd.DataFrame({"client_id": ["auxer"], "holder": [HOSTILE_HOLDER], "role": ["consultant"],
                                      "date": [pd.Timestamp("1999-01-08")], "shares": [-1000.0], "price": [0.03],
                                      "notes": [HOSTILE_NOTES]}))
    ss.merge(ws, "inquiries", pd.DataFrame({"client_id": ["auxer"], "received_at": [pd.Timestamp("1999-02-02 10:00")],
                                            "channel": ["email"], "topic": [HOSTILE_TOPIC],
                                            "answered_at": [pd.Timestamp("1999-02-02 15:00")],
                                            "answered_by": ["<u>IR</u>"]}))
    from app import loaders

    loaders.clear()
    _, html_text = _report(str(demo_ws), _view(str(demo_ws)))
    for raw in (HOSTILE_HOLDER, HOSTILE_NOTES, HOSTILE_TOPIC, "<u>IR</u>", "<script", "<img", "<iframe"):
        assert raw not in html_text, raw
    # the hostile holder's sale is in a promotion window: shown, escaped, with its notes
    assert _html.escape(HOSTILE_HOLDER) in html_text and _html.escape(HOSTILE_NOTES) in html_text


@pytest.mark.parametrize("name,rows,acc,expected", [
    ("nothing recorded", (), None, ["None recorded. Record objectives", "None recorded. Log the activities",
                                    "None recorded. Import the shareholder inquiries",
                                    "None recorded. Import the market-maker", "No promotion-integrity record"]),
    ("outputs only", (AmecRow("outputs", "Mailings sent", "2 mailings", "none before", "counted", "log"),), None,
     ["Mailings sent", "None recorded. Record objectives", "None recorded. Import the market-maker"]),
])
def test_empty_stages_say_none_recorded_and_how(name, rows, acc, expected):
    from app.report_amec import report_amec_html

    out = report_amec_html(rows, acc, simulated=False)
    for text in expected:
        assert text in out, (name, text)
    assert out.count("None recorded.") == 4 - len(rows)
    assert _html.escape(NOT_LEGAL_ADVICE) in out and "Simulated data" not in out


def test_a_view_without_a_client_has_no_rows():
    from app.views import report as rv
    from app.state import View

    assert rv.amec_parts("unused.duckdb", View(None, None, None, None, None, None, "all"), simulated=False) == ((), None)


def test_the_report_page_shows_the_same_rows_for_the_url_period(demo_ws):
    from pages import open_page, page_text

    at = open_page("roi_report", {"period": "1999-01-04..1999-03-31"})
    text = page_text(at)
    for words in ("AMEC measures: objectives, outputs, outtakes, outcomes", "Promotion integrity", NOT_LEGAL_ADVICE,
                  "Simulated data: the logs"):
        assert words in text, words
    shown = pd.concat([d.value for d in at.dataframe if "uncertainty" in d.value.columns and "measure" in d.value],
                      ignore_index=True)
    view = replace(_view(str(demo_ws)), start=pd.Timestamp("1999-01-04"), end=pd.Timestamp("1999-03-31"),
                   period="1999-01-04..1999-03-31")
    pages = _page_rows(str(demo_ws), view)
    from analytics.amec import by_stage

    expected = [r for rows in by_stage([*pages["integrity"], *pages["services"], *pages["peers"]]).values()
                for r in rows]
    assert list(shown["value"]) == [r.value for r in expected]
    assert list(shown["uncertainty"]) == [r.uncertainty for r in expected]
    assert any("1999-03-31" in s for s in shown["source"]) and not any("1999-07-03" in s for s in shown["source"])
