"""Demo provider: simulated bars from ingest.demo, behind the common interface."""
from __future__ import annotations

import pandas as pd

from ingest.providers.base import Provider


class DemoProvider(Provider):
    """Seeded simulated bars (source 'demo-simulated') from ingest.demo.simulate_bars."""

    name = "demo"

    def __init__(self, seed: int | None = None):
        self.seed = seed

    def fetch_bars(self, ticker: str, start=None, end=None) -> pd.DataFrame:
        from ingest.demo import simulate_bars as simulate  # the generator is only needed here

        kwargs = {} if self.seed is None else {"seed": self.seed}
        return simulate(ticker, start, end, **kwargs)
