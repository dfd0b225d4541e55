"""`python -m ingest` jobs of the promotion-integrity record: trades, compensation, objectives, sale rules.

Each CSV import is rejected whole on any problem, listed by line number (values echoed capped and
sanitised, ``ingest.csvread.shown``); dates must lie in 1900-2100, numbers be finite. Imports are
idempotent (``store.integrity.merge_rows``): the same file again is "unchanged". Exit codes are those
of ``ingest.jobs`` (3 input rejected, 11 unknown client, 7 workspace locked, 10 unusable path).
"""
from __future__ import annotations

import argparse
import math
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ingest.activities import display_name
from ingest.csvread import (
    best_date_format, date_problem, finite_number, parse_date, pick_date_format, read_table, read_text, shown,
)
from ingest.providers.errors import CsvFormatError
from store.schema import utc_now

JOBS: tuple[str, ...] = ("import-trades", "import-compensation", "import-objectives", "sale-rules")

MAX_SHARES = 1e13        # shares in one trade or payment: more than any company has issued is a typo
MAX_AMOUNT = 1e12        # dollars
MAX_PRICE = 1e6          # dollars a share
ROLES = ("consultant", "insider", "other")
_TRUE = {"1", "true", "yes", "y", "t", "x"}
_FALSE = {"0", "false", "no", "n", "f"}
DIRECTION_WORDS = {"at_least": "at_least", "at least": "at_least", ">=": "at_least", "min": "at_least",
                   "at_most": "at_most", "at most": "at_most", "<=": "at_most", "max": "at_most"}


@dataclass(frozen=True)
class Field:
    """One CSV column: its kind (date, text, number, choice), whether it is required, and its bounds."""

    name: str
    kind: str
    required: bool = False
    limit: int = 200          # characters of a text
    low: float = 0.0          # numbers
    high: float = MAX_AMOUNT
    signed: bool = False      # a number that may be negative


TRADE_FIELDS = (Field("holder", "text", True), Field("date", "date", True),
                Field("shares", "number", True, high=MAX_SHARES, signed=True), Field("side", "text", limit=10),
                Field("price", "number", high=MAX_PRICE), Field("role", "text", limit=20),
                Field("notes", "text", limit=4000), Field("client_id", "text", limit=64))
COMPENSATION_FIELDS = (Field("date", "date", True), Field("payer", "text", True), Field("recipient", "text", True),
                       Field("kind", "text", True, limit=100), Field("amount", "number"),
                       Field("shares", "number", high=MAX_SHARES), Field("notes", "text", limit=4000),
                       Field("client_id", "text", limit=64))
OBJECTIVE_FIELDS = (Field("measure", "text", True, limit=100), Field("target", "number", True, signed=True,
                                                                     high=MAX_AMOUNT),
                    Field("direction", "text", limit=20), Field("set_date", "date", True), Field("due_date", "date"),
                    Field("notes", "text", limit=4000), Field("client_id", "text", limit=64))
HEADER_ALIASES = {"client": "client_id", "name": "holder", "trade_date": "date", "quantity": "shares",
                  "qty": "shares", "amount_usd": "amount", "usd": "amount", "type": "kind", "from": "payer",
                  "to": "recipient", "set": "set_date", "set_on": "set_date", "due": "due_date", "goal": "target",
                  "metric": "measure", "buy_sell": "side", "action": "side"}


def _number(raw: str, f: Field, delimiter: str) -> tuple[float | None, str | None]:
    v, problem = finite_number(raw, f.name, delimiter)
    if problem:
        return None, problem
    if not f.signed and v < 0:
        return None, f"{f.name} {v:g} is negative"
    if abs(v) > f.high:
        return None, f"{f.name} {v:g} is more than {f.high:,.0f}: check the column"
    return v, None


def parse_csv(source, fields: tuple[Field, ...], what: str, client_id: str) -> tuple[list[dict], list[int], str]:
    """(records, their line numbers, the file's display name) of a CSV, each value checked by its ``Field``; CsvFormatError otherwise."""
    text, name = read_text(source)
    name = display_name(name)
    table, problems = read_table(text, HEADER_ALIASES)
    if table is None:
        raise CsvFormatError(name, problems, what=what)
    required = [f.name for f in fields if f.required]
    missing = [c for c in required if c not in table.header]
    if missing:
        problems.append((table.header_line, f"missing column(s) {', '.join(missing)}; expected at least "
                                            f"{','.join(required)}"))
    elif not table.rows:
        problems.append((table.header_line, f"no rows after the header"))
    if problems:
        raise CsvFormatError(name, problems, what=what)
    col = {h: i for i, h in enumerate(table.header)}
    n = len(table.header)
    dates = [fs[col[f.name]] for _, fs in table.rows if len(fs) == n for f in fields
             if f.kind == "date" and f.name in col]
    fmt = pick_date_format(dates) or best_date_format(dates)
    records, lines = [], []
    for line, values in table.rows:
        if len(values) != n:
            problems.append((line, f"expected {n} fields like the header, found {len(values)}"))
            continue
        rec, errs = {}, []
        for f in fields:
            raw = values[col[f.name]].strip() if f.name in col else ""
            rec[f.name] = None
            if not raw:
                if f.required:
                    errs.append(f"{f.name} is empty")
                continue
            if f.kind == "text":
                if len(raw) > f.limit:
                    errs.append(f"{f.name} is {len(raw):,} characters long, more than {f.limit:,}: shorten it")
                rec[f.name] = raw
            elif f.kind == "date":
                try:
                    day = parse_date(raw, fmt)
                except ValueError:
                    errs.append(f"{f.name} '{shown(raw, 30)}' is not a date in the file's format ({fmt})")
                    continue
                wrong = date_problem(day, f.name)
                if wrong:
                    errs.append(wrong)
                    continue
                rec[f.name] = pd.Timestamp(day)
            else:
                rec[f.name], problem = _number(raw, f, table.delimiter)
                if problem:
                    errs.append(problem)
        if rec.get("client_id") and rec["client_id"] != client_id:
            errs.append(f"client '{shown(rec['client_id'], 40)}' is not the client being imported ({client_id})")
        rec["client_id"] = client_id
        if errs:
            problems.append((line, "; ".join(errs)))
        else:
            records.append(rec)
            lines.append(line)
    if problems:
        raise CsvFormatError(name, sorted(problems, key=lambda p: p[0]), what=what)
    return records, lines, name


def _finish(records: list[dict], lines: list[int], problems: list[tuple[int, str]], key: tuple, name: str, what: str):
    seen: dict[tuple, int] = {}
    for rec, line in zip(records, lines):
        k = tuple(rec.get(c) for c in key)
        if k in seen:
            problems.append((line, f"same {', '.join(key)} as line {seen[k]}: a second import could not tell them "
                                   "apart; merge them into one row or tell them apart"))
        seen.setdefault(k, line)
    if problems:
        raise CsvFormatError(name, sorted(problems, key=lambda p: p[0]), what=what)
    return pd.DataFrame(records)


def parse_trades_csv(source, client_id: str) -> pd.DataFrame:
    """Trades (client_id, holder, role, date, shares signed, price, notes) of a CSV: ``holder,date,shares[,side,
    price,role,notes]``; ``shares`` is negative for a sale, or positive with ``side`` buy/sell."""
    records, lines, name = parse_csv(source, TRADE_FIELDS, "trades log", client_id)
    problems = []
    for rec, line in zip(records, lines):
        side = (rec.pop("side") or "").lower()
        if side:
            if side not in ("buy", "sell", "b", "s", "bought", "sold"):
                problems.append((line, f"side '{shown(side, 10)}' must be buy or sell"))
            elif rec["shares"] < 0:
                problems.append((line, "shares must be positive when side says buy or sell"))
            elif side.startswith("s"):
                rec["shares"] = -rec["shares"]
        if rec["shares"] == 0:
            problems.append((line, "shares is 0: a trade buys (+) or sells (-) some shares"))
        role = (rec.get("role") or "consultant").lower()
        if role not in ROLES:
            problems.append((line, f"role '{shown(role, 20)}' must be one of {', '.join(ROLES)}"))
        rec["role"] = role
    return _finish(records, lines, problems, ("holder", "date", "shares", "price"), name, "trades log")


def parse_compensation_csv(source, client_id: str) -> pd.DataFrame:
    """Manual compensation rows of a CSV: ``date,payer,recipient,kind[,amount,shares,notes]`` (amount or shares)."""
    records, lines, name = parse_csv(source, COMPENSATION_FIELDS, "compensation file", client_id)
    problems = [(line, "give amount or shares (or both)") for rec, line in zip(records, lines)
                if rec["amount"] is None and rec["shares"] is None]
    return _finish(records, lines, problems, ("date", "payer", "recipient", "kind"), name, "compensation file")


def measure_key(value: str) -> str | None:
    """The measure key for a key or label (case-insensitive); None when unknown."""
    from analytics.objectives import MEASURES

    v = value.strip().lower()
    for key, (label, _, _) in MEASURES.items():
        if v in (key, key.replace("_", " "), label.lower()):
            return key
    return None


def parse_objectives_csv(source, client_id: str) -> pd.DataFrame:
    """Objectives of a CSV: ``measure,target,set_date[,direction,due_date,notes]``."""
    from analytics.objectives import MEASURES

    records, lines, name = parse_csv(source, OBJECTIVE_FIELDS, "objectives file", client_id)
    problems = []
    for rec, line in zip(records, lines):
        key = measure_key(rec["measure"])
        if key is None:
            problems.append((line, f"measure '{shown(rec['measure'], 40)}' is unknown; use one of "
                                   f"{', '.join(MEASURES)}"))
        rec["measure"] = key
        d = DIRECTION_WORDS.get((rec.get("direction") or "at_least").strip().lower())
        if d is None:
            problems.append((line, f"direction '{shown(rec['direction'], 20)}' must be at_least or at_most"))
        rec["direction"] = d
        if rec.get("due_date") is not None and rec["due_date"] < rec["set_date"]:
            problems.append((line, f"due_date {rec['due_date']:%Y-%m-%d} is before set_date {rec['set_date']:%Y-%m-%d}"))
    return _finish(records, lines, problems, ("measure", "set_date", "due_date"), name, "objectives file")


# --- the jobs ------------------------------------------------------------------------------------------

def add_parsers(sub) -> None:
    """Register this module's jobs on the CLI's subparsers."""
    p = sub.add_parser("import-trades", help="merge a trades log CSV (the consultant's and insiders' purchases and "
                       "sales) into a client; the same trade again is unchanged")
    p.add_argument("file", help="CSV with holder,date,shares[,side,price,role,notes] (shares < 0 for a sale)")
    p.add_argument("--client", required=True, help="client_id the trades belong to")
    p = sub.add_parser("import-compensation", help="merge payments to the consultant beyond the terms (cash, other "
                       "stock, an option exercise) into a client's engagement")
    p.add_argument("file", help="CSV with date,payer,recipient,kind[,amount,shares,notes]")
    p.add_argument("--client", required=True, help="client_id")
    p.add_argument("--engagement", type=int, help="engagement_id (default: the client's engagement in force on "
                   "each date, else its first)")
    p = sub.add_parser("import-objectives", help="merge objectives set for the campaign (measure, target, the date "
                       "they were set) into a client")
    p.add_argument("file", help="CSV with measure,target,set_date[,direction,due_date,notes]")
    p.add_argument("--client", required=True, help="client_id")
    p = sub.add_parser("sale-rules", help="show or set an engagement's sale rules (Rule 144 holding period, "
                       "affiliate, OTC, promotion tail, sale-flag and black-out days)")
    p.add_argument("--client", required=True, help="client_id")
    p.add_argument("--engagement", type=int, help="engagement_id (default: the client's first)")
    for flag in ("reporting-issuer", "registered-shares", "affiliate", "otc"):
        p.add_argument(f"--{flag}", choices=["yes", "no"])
    p.add_argument("--holding-months", type=int, help="override the 6 / 12 months of Rule 144(d) (0-60; -1 clears)")
    for flag in ("promotion-tail-days", "sale-flag-days", "blackout-before-days", "blackout-after-days"):
        p.add_argument(f"--{flag}", type=int, help="0-365")


def _client_or_fail(store, client_id: str):
    from store.store import ClientError

    known = store.clients()["client_id"].tolist()
    if client_id not in known:
        raise ClientError(f"Unknown client '{shown(client_id)}' (known: {', '.join(known) or 'none'}): add the "
                          "client first (import-terms or the Data page), or check the --client spelling.")


def _engagement_for(engagements: pd.DataFrame, day, wanted: int | None, client_id: str) -> int:
    from store.store import ClientError

    if wanted is not None:
        if wanted not in set(engagements["engagement_id"].astype(int)):
            raise ClientError(f"Engagement {wanted} is not one of client {client_id}'s "
                              f"({', '.join(map(str, engagements['engagement_id'])) or 'none'}).")
        return int(wanted)
    if engagements.empty:
        raise ClientError(f"Client {client_id} has no engagement: import its terms first (import-terms).")
    e = engagements.sort_values("start_date")
    live = e[(e["start_date"] <= day) & (e["end_date"].isna() | (e["end_date"] >= day))]
    return int((live if len(live) else e)["engagement_id"].iloc[0])


def import_file(store, job: str, path, client_id: str, engagement: int | None = None):
    """Run one CSV import job; returns its ``ingest.jobs.JobSummary`` (logged in the ingest log)."""
    from ingest import jobs
    from store import integrity as si

    jobs.usable_file(path, "the CSV file's")
    what = {"import-trades": "trades log", "import-compensation": "compensation file",
            "import-objectives": "objectives file"}[job]

    def work(finish):
        if not Path(path).is_file():
            raise CsvFormatError(shown(path, 120), [(0, "file not found: check the path")], what=what)
        parse = {"import-trades": parse_trades_csv, "import-compensation": parse_compensation_csv,
                 "import-objectives": parse_objectives_csv}[job]
        frame = parse(path, client_id)
        _client_or_fail(store, client_id)
        if job == "import-trades":
            written = si.merge_trades(store, frame)
        elif job == "import-objectives":
            written = si.merge_objectives(store, frame)
        else:
            eng = store.engagements(client_id)
            frame["engagement_id"] = [_engagement_for(eng, d, engagement, client_id) for d in frame["date"]]
            written = si.merge_compensation(store, frame)
        return jobs.JobSummary(job, client_id, added=written.added, updated=written.updated,
                               unchanged=written.unchanged)
    return jobs._logged(store, job, None, work)


def _yes(v):
    return None if v is None else v == "yes"


def sale_rules_job(store, args) -> str:
    """Show or set the sale rules of an engagement; returns the line to print."""
    from ingest import jobs
    from store import integrity as si

    store.init()
    _client_or_fail(store, args.client)
    eng = store.engagements(args.client)
    eid = _engagement_for(eng, pd.Timestamp.max, args.engagement, args.client) if args.engagement is not None \
        else _engagement_for(eng, pd.Timestamp("1900-01-01"), None, args.client)
    fields = {"reporting_issuer": _yes(args.reporting_issuer), "registered_shares": _yes(args.registered_shares),
              "affiliate": _yes(args.affiliate), "otc": _yes(args.otc), "holding_months": args.holding_months,
              "promotion_tail_days": args.promotion_tail_days, "sale_flag_days": args.sale_flag_days,
              "blackout_before_days": args.blackout_before_days, "blackout_after_days": args.blackout_after_days}
    for k, v in fields.items():
        hi = 60 if k == "holding_months" else 365
        if isinstance(v, int) and not isinstance(v, bool) and not (-1 if k == "holding_months" else 0) <= v <= hi:
            raise jobs.UsageError(f"--{k.replace('_', '-')} {v} is outside 0..{hi}.")
    current = si.sale_rules(store, eid)
    base = {} if current.empty else {k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v)
                                     for k, v in current.iloc[0].to_dict().items() if k != "engagement_id"}
    given = {k: v for k, v in fields.items() if v is not None}
    if given:
        merged = {**base, **given}
        if merged.get("holding_months") == -1:
            merged["holding_months"] = None
        started = utc_now()
        verb = si.save_sale_rules(store, eid, **merged)
        store.log_run("sale-rules", None, started, "ok", added=int(verb == "added"), updated=int(verb == "updated"))
        current = si.sale_rules(store, eid)
    else:
        verb = "shown (defaults)" if current.empty else "shown"
    from analytics.integrity import sale_rules as with_defaults

    rules = with_defaults(None if current.empty else current.iloc[0].to_dict())
    text = ", ".join(f"{k}={v}" for k, v in rules.items())
    return f"sale-rules {args.client} engagement {eid}: {verb}; {text}"


def run(store, args: argparse.Namespace) -> int:
    """Carry out one job of this module; prints one summary line and returns the exit code."""
    from ingest import jobs

    try:
        if args.job == "sale-rules":
            print(sale_rules_job(store, args))
            return jobs.EXIT_OK
        summary = import_file(store, args.job, args.file, args.client, getattr(args, "engagement", None))
    except Exception as exc:  # one clear line and its exit code
        code = jobs.exit_code_for(exc)
        if code == jobs.EXIT_ERROR and not isinstance(exc, (jobs.ProviderError, jobs.StoreError)):
            traceback.print_exc(file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        print(f"{args.job}: failed ({jobs.EXIT_CODES[code]}), exit code {code}")
        return code
    print(summary.line())
    return summary.exit_code


# --- the same rules for a row edited on the page -------------------------------------------------------

def _cell_problem(value, f: Field) -> tuple[object, str | None]:
    """(clean value, problem) of one edited cell under the CSV's rules."""
    if value is None or (not isinstance(value, str) and pd.isna(value)) or (isinstance(value, str) and not value.strip()):
        return None, (f"{f.name} is empty" if f.required else None)
    if f.kind == "text":
        text = str(value).strip()
        return text, (f"{f.name} is {len(text):,} characters long, more than {f.limit:,}" if len(text) > f.limit
                      else None)
    if f.kind == "date":
        try:
            day = pd.Timestamp(value)
        except (ValueError, TypeError):
            return None, f"{f.name} '{shown(value, 30)}' is not a date (YYYY-MM-DD)"
        wrong = date_problem(day, f.name)
        return (None, wrong) if wrong else (day.normalize(), None)
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        return None, f"{f.name} '{shown(value, 30)}' is not a number"
    if not math.isfinite(v):
        return None, f"{f.name} is not a finite number (nan, inf or too large)"
    if not f.signed and v < 0:
        return None, f"{f.name} {v:g} is negative"
    if abs(v) > f.high:
        return None, f"{f.name} {v:g} is more than {f.high:,.0f}"
    return v, None


def validate_trade(row: dict) -> tuple[dict, list[str]]:
    """A trade edited on the page, cleaned, and its problems (the import's rules)."""
    out, errs = {}, []
    for f in TRADE_FIELDS:
        if f.name in ("side", "client_id"):
            continue
        out[f.name], problem = _cell_problem(row.get(f.name), f)
        if problem:
            errs.append(problem)
    if out.get("shares") == 0:
        errs.append("shares is 0: a trade buys (+) or sells (-) some shares")
    role = (out.get("role") or "consultant").lower()
    if role not in ROLES:
        errs.append(f"role '{shown(role, 20)}' must be one of {', '.join(ROLES)}")
    out["role"] = role
    return out, errs


def validate_objective(row: dict) -> tuple[dict, list[str]]:
    """An objective edited on the page, cleaned, and its problems (the import's rules)."""
    out, errs = {}, []
    for f in OBJECTIVE_FIELDS:
        if f.name == "client_id":
            continue
        out[f.name], problem = _cell_problem(row.get(f.name), f)
        if problem:
            errs.append(problem)
    if out.get("measure") is not None:
        key = measure_key(out["measure"])
        if key is None:
            errs.append(f"measure '{shown(out['measure'], 40)}' is unknown")
        out["measure"] = key
    d = DIRECTION_WORDS.get(str(out.get("direction") or "at_least").strip().lower())
    if d is None:
        errs.append(f"direction '{shown(out.get('direction'), 20)}' must be at_least or at_most")
    out["direction"] = d
    if out.get("due_date") is not None and out.get("set_date") is not None and out["due_date"] < out["set_date"]:
        errs.append("due_date is before set_date")
    return out, errs
