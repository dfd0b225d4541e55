"""Three simulated peers of the demo client (AXGI), thinly traded like it, with a sector-wide volume rise.

Called at the end of ``ingest.demo.write_demo_workspace`` (``write_demo_peers(store, summary)``). Every
peer is labelled simulated: securities marked ``simulated``, names ending "(simulated)", bars with
``source = "demo-simulated"``, written at the demo's fixed ``BUILT_AT``.

Generating process (``build_peer_frames``, pure and seeded with ``default_rng([seed, 13])``), on the
demo's trading days and its simulated market ``^SIMIDX`` (``r_m`` = its daily log returns)::

    log p*[t] = c + beta * (log M[t] - log M[0]) + u[t],  u[t] = (1 - KAPPA) u[t-1] + e[t],  e ~ sd IDIO_SD t(4)

with the constant putting the latent price on the signing date (1999-01-04) at the peer's ``anchor``;
quotes rounded to the 1/256 tick. Days trade on the demo's two-state chain (trade -> trade 0.64,
no trade -> trade 0.40); volume is lognormal (log sd 0.9) around the peer's median, rounded to 100.

The sector-wide rise (``SECTOR_RISE``): from 1999-03-01 to 1999-05-28, inside the engagement
(1999-01-04 to 1999-07-03), every peer's volume is multiplied by ``SECTOR_VOLUME_MULTIPLIER`` (2.0) and
its no-trade probability divided by it (the demo's rule for a multiplier m > 1), the same for AXGI's
peers whatever the IR work. AXGI's own bars (``ingest.demo``) have no sector rise: its volume rises only
with its injected event reactions, so the difference in differences of the Peers page reads the IR
work's part once the sector's is taken out. No IR effect is injected into the peers.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ingest import demo

#: ticker, name, beta, latent price on the signing date (USD), shares outstanding, median volume (shares)
PEERS: tuple[tuple[str, str, float, float, float, float], ...] = (
    ("PCFX", "Pacific Fixtures Corp. - PCFX (simulated)", 1.0, 0.090, 42_000_000.0, 50_000.0),
    ("SDRG", "San Diego Resource Group - SDRG (simulated)", 1.3, 0.050, 75_000_000.0, 80_000.0),
    ("BJAH", "Baja Holdings, Inc. - BJAH (simulated)", 0.8, 0.140, 30_000_000.0, 25_000.0),
)
PEER_TICKERS: tuple[str, ...] = tuple(p[0] for p in PEERS)
SECTOR_RISE = (pd.Timestamp("1999-03-01"), pd.Timestamp("1999-05-28"))
SECTOR_VOLUME_MULTIPLIER = 2.0
IDIO_SD = 0.03
SEED_STREAM = 13  # the peers' own random stream beside the demo's seed (issue 13)


def _peer_bars(ticker: str, beta: float, anchor: float, median: float, days: pd.DatetimeIndex,
               r_m: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    n = len(days)
    rise = (days >= SECTOR_RISE[0]) & (days <= SECTOR_RISE[1])
    mult = np.where(rise, SECTOR_VOLUME_MULTIPLIER, 1.0)
    e = IDIO_SD * rng.standard_t(4, n) / np.sqrt(2.0)
    e[0] = 0.0
    u = np.zeros(n)
    for t in range(1, n):
        u[t] = (1.0 - demo.KAPPA) * u[t - 1] + e[t]
    log_p = beta * np.cumsum(r_m) + u
    log_p += np.log(anchor) - log_p[days.searchsorted(demo.SIGNED)]
    quote = demo._to_tick(np.clip(np.exp(log_p), 2 * demo.TICK, 1.0))
    draws = rng.random(n)
    traded = np.zeros(n, dtype=bool)
    traded[0] = True
    for t in range(1, n):
        p = demo.P_TRADE_AFTER_TRADE if traded[t - 1] else demo.P_TRADE_AFTER_NONE
        traded[t] = draws[t] < 1.0 - (1.0 - p) / mult[t]
    open_frac = rng.uniform(0.0, 0.6, n)
    extra_hi = rng.choice([0, 1, 2], size=n, p=[0.55, 0.35, 0.10])
    extra_lo = rng.choice([0, 1, 2], size=n, p=[0.55, 0.35, 0.10])
    base = np.exp(rng.normal(np.log(median), demo.VOLUME_LOG_SD, n))
    o, h, lo, c, v = (np.empty(n) for _ in range(5))
    prev = quote[0]
    for t in range(n):
        if traded[t]:
            c[t] = quote[t]
            o[t] = demo._to_tick(prev + open_frac[t] * (c[t] - prev))
            h[t] = max(o[t], c[t]) + extra_hi[t] * demo.TICK
            lo[t] = max(min(o[t], c[t]) - extra_lo[t] * demo.TICK, demo.TICK)
            v[t] = max(np.round(base[t] * mult[t], -2), 100.0)
        else:
            c[t] = o[t] = h[t] = lo[t] = prev
            v[t] = 0.0
        prev = c[t]
    return pd.DataFrame({"ticker": ticker, "date": days, "open": o, "high": h, "low": lo, "close": c,
                         "adj_close": c, "volume": v, "source": demo.SOURCE})


def build_peer_frames(market: pd.DataFrame, seed: int) -> dict[str, pd.DataFrame]:
    """The peers' securities, bars and shares outstanding from the demo market's bars (``date, close``).

    Pure and deterministic: the same market and seed give the same frames.
    """
    m = market.sort_values("date")
    days = pd.DatetimeIndex(m["date"]).astype("datetime64[ns]")
    r_m = np.r_[0.0, np.diff(np.log(m["close"].to_numpy(float)))]
    rng = np.random.default_rng([int(seed), SEED_STREAM])
    bars = pd.concat([_peer_bars(t, beta, anchor, median, days, r_m, rng)
                      for t, _name, beta, anchor, _shares, median in PEERS], ignore_index=True)
    bars["date"] = bars["date"].astype("datetime64[ns]")
    securities = pd.DataFrame([{"ticker": t, "name": name, "kind": "equity", "simulated": True}
                               for t, name, *_ in PEERS])
    shares = pd.DataFrame({"ticker": [p[0] for p in PEERS], "date": pd.Timestamp(demo.START),
                           "shares": [p[4] for p in PEERS], "source": demo.SOURCE})
    shares["date"] = shares["date"].astype("datetime64[ns]")
    return {"securities": securities, "bars": bars, "shares_outstanding": shares}


def write_demo_peers(store, summary: dict) -> dict:
    """Write the three simulated peers of the demo client (securities, bars, shares, the peer group).

    ``summary`` is ``write_demo_workspace``'s (its ``seed`` and ``client_id``); the demo market must be stored.
    Running it twice leaves the same rows. Returns ``{"peers", "peer_bars", "sector_rise"}``.
    """
    from ingest.bars import validate_bars
    from store import peers as store_peers

    seed = int(summary.get("seed", demo.DEFAULT_SEED))
    client_id = summary.get("client_id", demo.CLIENT_ID)
    market = store.bars([demo.BENCHMARK])
    if market.empty:
        raise ValueError(f"write_demo_peers needs the demo market {demo.BENCHMARK}: run write_demo_workspace first")
    frames = build_peer_frames(market[["date", "close"]], seed)
    for sec in frames["securities"].itertuples(index=False):
        store.upsert_security(sec.ticker, name=sec.name, kind=sec.kind, simulated=True, added_at=demo.BUILT_AT)
    written = store.upsert_bars(validate_bars(frames["bars"])[demo.BAR_COLUMNS], ingested_at=demo.BUILT_AT)
    store.upsert_shares_outstanding(frames["shares_outstanding"])
    store_peers.add_peers(store, client_id, PEER_TICKERS, added_at=demo.BUILT_AT)
    return {"peers": list(PEER_TICKERS),
            "peer_bars": {"added": written.added, "updated": written.updated, "unchanged": written.unchanged},
            "sector_rise": (str(SECTOR_RISE[0].date()), str(SECTOR_RISE[1].date()), SECTOR_VOLUME_MULTIPLIER)}
