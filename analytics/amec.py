"""The ROI report's AMEC section as rows: objectives, outputs, outtakes and outcomes in one shape.

AMEC's Integrated Evaluation Framework (and the Barcelona Principles) evaluate communication from its
objectives: outputs (what was produced and sent), outtakes (what the audience did with it: responses,
inquiries) and outcomes (what changed: liquidity, coverage, the price reaction). Each measure module
(``analytics.integrity``, ``analytics.services``, ``analytics.peers``) returns ``AmecRow`` values; the
report lays them out by stage. Pure data: no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass

STAGES: tuple[str, ...] = ("objectives", "outputs", "outtakes", "outcomes")
STAGE_LABELS = {"objectives": "Objectives", "outputs": "Outputs", "outtakes": "Outtakes", "outcomes": "Outcomes"}


@dataclass(frozen=True)
class AmecRow:
    """One measure in the AMEC section, already in words.

    ``value`` is the figure over the period ("412 shareholder inquiries"), ``change`` its change against
    the reference it names ("+38% against the 90 days before the first activity"), ``uncertainty`` its
    interval or why there is none ("90% interval 12 to 61 per month"; never empty), ``source`` where it
    comes from ("inquiry log, 2024-01-02 to 2024-06-28"); ``simulated`` marks demo data.
    """

    stage: str
    measure: str
    value: str
    change: str
    uncertainty: str
    source: str
    simulated: bool = False

    def __post_init__(self):
        if self.stage not in STAGES:
            raise ValueError(f"AMEC stage {self.stage!r}: use one of {STAGES}")
        if not str(self.uncertainty).strip():
            raise ValueError(f"AMEC row {self.measure!r}: say its uncertainty (or why there is none)")


def by_stage(rows) -> dict[str, list[AmecRow]]:
    """Rows grouped by stage in AMEC's order (empty stages kept, so the report can say "none recorded")."""
    out: dict[str, list[AmecRow]] = {s: [] for s in STAGES}
    for row in rows:
        out[row.stage].append(row)
    return out
