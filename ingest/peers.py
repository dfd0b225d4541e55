"""`python -m ingest peers add|remove|list`: a client's peer group (the tickers it is compared with).

Adding a peer does not load it: load each peer like any ticker (``load-yahoo TICKER`` or ``load-csv FILE
--ticker TICKER``). It is tracked from then on, so ``refresh`` fetches it from Yahoo with the others.
"""
from __future__ import annotations

import argparse
import sys

import pandas as pd

from store import Store, StoreBusyError
from store import peers as store_peers

JOBS: tuple[str, ...] = ("peers",)
EXIT_OK, EXIT_BAD_INPUT, EXIT_BUSY, EXIT_CLIENT = 0, 3, 7, 11  # ingest.jobs' codes


def add_parsers(sub) -> None:
    """Register the ``peers`` job and its actions on the CLI's subparsers."""
    p = sub.add_parser("peers", help="a client's peer group: add, remove, list the tickers it is compared with")
    acts = p.add_subparsers(dest="peers_action", required=True, metavar="ACTION")
    a = acts.add_parser("add", help="add peer tickers to a client (they are loaded like any ticker: load-yahoo, "
                                    "load-csv)")
    a.add_argument("client", help="client_id")
    a.add_argument("tickers", nargs="+", metavar="TICKER", help="symbols as Yahoo spells them")
    r = acts.add_parser("remove", help="remove peer tickers from a client (their bars stay)")
    r.add_argument("client", help="client_id")
    r.add_argument("tickers", nargs="+", metavar="TICKER")
    ls = acts.add_parser("list", help="list the peer groups and which peers have bars")
    ls.add_argument("client", nargs="?", help="client_id (default: every client)")


def load_hint(tickers) -> str:
    """What to run to load peers without bars."""
    first = list(tickers)[0]
    return (f"load {'them' if len(list(tickers)) > 1 else 'it'} like any ticker: `python -m ingest load-yahoo {first} "
            f"--start YYYY-MM-DD` or `python -m ingest load-csv FILE --ticker {first}`; `python -m ingest refresh` "
            "fetches tracked tickers from Yahoo too")


def _list(store: Store, client: str | None) -> None:
    groups = store_peers.read_peers(store, client)
    if groups.empty:
        where = f" for {client}" if client else ""
        print(f"no peers{where} yet: add them with `python -m ingest peers add CLIENT TICKER [TICKER ...]`")
        return
    for cid in groups["client_id"].unique():
        cov = store_peers.peer_coverage(store, cid)
        for row in cov.itertuples(index=False):
            span = (f"bars {row.first_date:%Y-%m-%d} to {row.last_date:%Y-%m-%d}" if pd.notna(row.first_date)
                    else f"no bars yet: {load_hint([row.ticker])}")
            print(f"{cid}\t{row.ticker}\t{span}")


def run(store: Store, args: argparse.Namespace) -> int:
    """Carry out one ``peers`` action; prints one summary line (or the list) and returns the exit code."""
    what = args.peers_action
    try:
        store.init()
        if what == "add":
            out = store_peers.add_peers(store, args.client, args.tickers)
            line = (f"peers add: {args.client} + {', '.join(out['added']) or 'nothing new'}"
                    f"{'; already peers: ' + ', '.join(out['unchanged']) if out['unchanged'] else ''}")
            print(line)
            if out["without_bars"]:
                print(f"not loaded yet: {', '.join(out['without_bars'])}; {load_hint(out['without_bars'])}",
                      file=sys.stderr)
        elif what == "remove":
            removed = store_peers.remove_peers(store, args.client, args.tickers)
            print(f"peers remove: {args.client} - {', '.join(removed)} (their bars stay in the workspace)")
        else:
            _list(store, args.client)
    except store_peers.UnknownClientError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"peers {what}: failed (unknown client), exit code {EXIT_CLIENT}")
        return EXIT_CLIENT
    except store_peers.PeerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"peers {what}: failed (input rejected), exit code {EXIT_BAD_INPUT}")
        return EXIT_BAD_INPUT
    except StoreBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"peers {what}: failed (workspace locked by another process), exit code {EXIT_BUSY}")
        return EXIT_BUSY
    return EXIT_OK
