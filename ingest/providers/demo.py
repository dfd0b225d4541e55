"""Demo provider: simulated bars from ingest.demo (written separately), behind the common interface."""
from __future__ import annotations

import importlib

import pandas as pd

from ingest.providers.base import Provider
from ingest.providers.errors import ProviderError


class DemoProvider(Provider):
    """Seeded simulated bars (source 'demo-simulated'); needs ingest.demo.simulate_bars."""

    name = "demo"

    def __init__(self, seed: int | None = None):
        self.seed = seed

    def fetch_bars(self, ticker: str, start=None, end=None) -> pd.DataFrame:
        try:
            demo = importlib.import_module("ingest.demo")
        except ImportError as exc:
            raise ProviderError("The demo generator (ingest/demo.py) is not installed in this checkout yet: "
                                "update the project (git pull) to get it.") from exc
        simulate = getattr(demo, "simulate_bars", None)
        if simulate is None:
            raise ProviderError("ingest.demo has no simulate_bars(ticker, start, end, seed): the demo provider "
                                "cannot make bars for a single ticker; use `python -m ingest demo` instead.")
        kwargs = {} if self.seed is None else {"seed": self.seed}
        return simulate(ticker, start, end, **kwargs)
