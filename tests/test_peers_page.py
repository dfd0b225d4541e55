"""The Peers page (AppTest) on the demo workspace with its three simulated peers: the figures shown are
recomputed here by hand from the stored bars (counts of traded days, per-day medians with numpy), the URL
carries the measure, the empty states say which command to run, a consultant edits the group on the page,
and an executive of the client sees its peers (their tickers are in the client's scope)."""
from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest
from pages import open_page, page_text

from store import Store, access
from store import peers as store_peers

PEERS = ["BJAH", "PCFX", "SDRG"]


@pytest.fixture
def peers_ws(demo_db, tmp_path, monkeypatch):
    """A private copy of the demo with write_demo_peers applied, as the dashboard's workspace."""
    from app import loaders
    from ingest.demo_peers import write_demo_peers

    path = tmp_path / "demo.duckdb"
    path.write_bytes(demo_db.read_bytes())
    ws = Store(path)
    write_demo_peers(ws, {"seed": 19990104, "client_id": "auxer"})
    monkeypatch.setenv("IRDASH_DB", str(path))
    loaders.clear()
    yield ws
    loaders.clear()


def _spec(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def _y(trace) -> np.ndarray:
    """A trace's y values (plotly sends numeric arrays as base64 ``bdata`` with their dtype)."""
    y = trace["y"]
    if isinstance(y, dict) and "bdata" in y:
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=np.dtype(y["dtype"])).astype(float)
    return np.array(y, dtype=float)


def _shown_did(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "difference in differences" in d.value.columns)


def test_peers_page_shows_the_group_the_chart_and_the_did_checked_by_hand(peers_ws):
    at = open_page("peers", {"client": "auxer", "period": "all"})
    text = page_text(at)
    assert "Peer group of Auxer Group, Inc. (AXGI): BJAH (Baja Holdings, Inc. - BJAH (simulated))" in text
    assert "Simulated data." in text and "cannot go below p = 0.25" in text
    spec = _spec(at)
    assert "(simulated)" in spec["layout"]["title"]["text"]
    names = [t["name"] for t in spec["data"]]
    assert names == ["AXGI", "Peer median (client left out)", "AXGI / peer median"]
    # rebased to 100 on the first day of the history for both lines
    assert _y(spec["data"][0])[0] == pytest.approx(100) and _y(spec["data"][1])[0] == pytest.approx(100)
    assert any(s.get("type") == "rect" for s in spec["layout"]["shapes"])  # the engagement shaded

    # the share of days traded, by hand: the engagement 1999-01-04..1999-07-03 holds 126 of AXGI's trading days
    # (1999-07-02 the last), and the pre-period the 126 days before 1999-01-04
    bars = peers_ws.bars(["AXGI", *PEERS])
    wide = bars.pivot(index="date", columns="ticker", values="volume").sort_index() > 0
    post = wide.loc["1999-01-04":"1999-07-03"]
    pre = wide.loc[:"1999-01-03"].tail(len(post))
    assert len(post) == 126
    client_before, client_during = pre["AXGI"].mean(), post["AXGI"].mean()
    # the peers' median of three 0/1 values is the majority: traded when at least 2 of the 3 peers traded
    peers_before = (pre[PEERS].sum(axis=1) >= 2).mean()
    peers_during = (post[PEERS].sum(axis=1) >= 2).mean()
    row = _shown_did(at).set_index("measure").loc["Share of days traded"]
    assert row["client before"] == f"{100 * client_before:.1f}%"
    assert row["client during"] == f"{100 * client_during:.1f}%"
    assert row["peers' change"] == f"{100 * (peers_during - peers_before):+.1f} pts"
    did = (client_during - client_before) - (peers_during - peers_before)
    assert row["difference in differences"] == f"{100 * did:+.1f} pts"
    assert row["days (before / during)"] == "126 / 126"
    assert "Dollar volume moves with the price level" in text  # AXGI's price rose far more than the peers'


def test_a_measure_the_page_does_not_know_is_refused_in_words(peers_ws):
    at = open_page("peers", {"client": "auxer", "measure": "amihud"})
    assert "The measure 'amihud' in the link is not one of close, volume" in page_text(at)
    assert "price (rebased to 100)" in _spec(at)["layout"]["title"]["text"]


def test_the_url_carries_the_measure_and_the_ratio_is_client_over_median(peers_ws):
    at = open_page("peers", {"client": "auxer", "period": "engagement", "measure": "volume"})
    assert "volume" in str(at.query_params["measure"])  # kept in the URL (a copied link opens the same view)
    spec = _spec(at)
    assert "volume (shares a day), trailing 20-day mean" in spec["layout"]["title"]["text"]
    client, median, ratio = (_y(spec["data"][i]) for i in range(3))
    ok = np.isfinite(ratio)
    assert ok.sum() > 100
    assert ratio[ok] == pytest.approx(client[ok] / median[ok])
    # by hand on the engagement's 20th day: AXGI's mean volume over its first 20 days, over the peers' median
    bars = peers_ws.bars(["AXGI", *PEERS])
    vol = bars.pivot(index="date", columns="ticker", values="volume").sort_index()
    last20 = vol.loc[:"1999-02-01"].tail(20).mean()  # 1999-02-01 is the 20th trading day from 1999-01-04
    assert client[19] == pytest.approx(last20["AXGI"])
    assert median[19] == pytest.approx(float(np.median(last20[PEERS])))


def test_no_peers_says_how_to_add_them(demo_db, tmp_path, monkeypatch):
    from app import loaders

    from store import Store

    path = tmp_path / "demo.duckdb"
    path.write_bytes(demo_db.read_bytes())
    with Store(path).transaction() as con:  # the demo build sets a peer group: take it out again
        con.execute("DELETE FROM peers")
    monkeypatch.setenv("IRDASH_DB", str(path))
    loaders.clear()
    at = open_page("peers", {"client": "auxer"})
    text = page_text(at)
    assert "No peers are set for Auxer Group, Inc." in text
    assert "python -m ingest peers add auxer TICKER [TICKER ...]" in text
    assert not at.get("plotly_chart")
    # the local demo edits: add a peer on the page
    at.text_input(key="w_peers_add").input("pcfx, ZZZQ")
    next(b for b in at.button if b.label == "Add peers").click()
    at.run()
    assert not at.exception
    assert "Not loaded yet: ZZZQ:" in page_text(at)  # PCFX has its (simulated) bars in the demo
    assert store_peers.read_peers(Store(path), "auxer")["ticker"].tolist() == ["PCFX", "ZZZQ"]
    loaders.clear()


def test_a_peer_without_bars_names_the_command_that_loads_it(peers_ws):
    store_peers.add_peers(peers_ws, "auxer", ["NOBAR"])
    at = open_page("peers", {"client": "auxer"})
    text = page_text(at)
    assert "No bars yet for NOBAR" in text and "python -m ingest load-yahoo NOBAR" in text
    assert at.get("plotly_chart")  # the three loaded peers are still compared


def test_an_executive_sees_the_clients_peers_read_only(peers_ws, monkeypatch):
    from app import auth, loaders

    access.add_user(peers_ws, "ceo@auxer.example", "executive")
    access.assign_client(peers_ws, "ceo@auxer.example", "auxer")
    monkeypatch.setenv("IRDASH_MODE", "deploy")
    monkeypatch.setattr(auth, "providers", lambda _section: [None])
    monkeypatch.setattr(auth, "signed_in_email", lambda: "ceo@auxer.example")
    loaders.clear()
    at = open_page("peers", {"client": "auxer", "period": "all"})
    text = page_text(at)
    assert "PCFX (Pacific Fixtures Corp. - PCFX (simulated))" in text
    assert "Read-only (executive): ask the consultant to change the peer group." in text
    assert not [b for b in at.button if b.label == "Add peers"]
    assert len(_y(_spec(at)["data"][1])) > 300  # the peers' bars reached the executive's chart


def test_the_reports_peer_rows_are_the_pages_figures(peers_ws):
    from analytics import peers as ap
    from app.views import peers as views

    rows = views.amec_rows(str(peers_ws.path), "auxer", "AXGI", simulated=True)
    assert [r.measure.split(" against")[0] for r in rows] == ["Turnover", "Share of days traded", "Dollar volume",
                                                             "Abnormal volume (mean log volume)"]
    assert all(r.stage == "outcomes" and r.simulated for r in rows)
    # the same computation as the page's table: its DiD figure appears in the row's change
    data = views.peer_data(str(peers_ws.path), "auxer", "AXGI")
    traded = data.did.set_index("measure").loc["traded"]
    assert f"difference in differences {ap.format_measure('traded', traded['did'], True)}" in rows[1].change
    assert "peers BJAH, PCFX, SDRG" in rows[0].source


def test_a_consultant_edits_the_group_through_the_scoped_store(peers_ws, monkeypatch):
    from app import auth, loaders

    access.set_client_firm(peers_ws, "auxer", "pmr")
    access.add_user(peers_ws, "cons@pmr.example", "consultant", firm="pmr")
    monkeypatch.setenv("IRDASH_MODE", "deploy")
    monkeypatch.setattr(auth, "providers", lambda _section: [None])
    monkeypatch.setattr(auth, "signed_in_email", lambda: "cons@pmr.example")
    loaders.clear()
    at = open_page("peers", {"client": "auxer"})
    at.multiselect(key="w_peers_remove").select("SDRG").run()  # the button is enabled once something is chosen
    next(b for b in at.button if b.label == "Remove").click()
    at.run()
    assert not at.exception and "Removed: SDRG." in page_text(at)
    assert store_peers.read_peers(peers_ws, "auxer")["ticker"].tolist() == ["BJAH", "PCFX"]
    loaders.clear()
