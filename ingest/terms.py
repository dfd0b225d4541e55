"""Engagement terms as a TOML file: the client, the contract, option grants, financings, shares outstanding.

The dashboard's Engagement page and ROI report need the contract's terms; a consultant writes them once
per client, in a file under version control or through the page's form. The file uses the store's
column names, so what it says is what is stored::

    [client]                      # optional when the client already exists (then give client_id below)
    client_id = "auxer"
    name = "Auxer Group, Inc."
    ticker = "AXGI"
    benchmark = "^RUT"

    [engagement]
    consultant = "PMR and Associates"
    signed_date = 1999-01-04
    start_date = 1999-01-04
    end_date = 1999-07-03         # optional: open-ended (payments run to the last price)
    retainer_amount = 3500        # USD per payment, paid in stock
    retainer_frequency = "monthly"
    minimum_months = 3
    retainer_price_rule = "avg_close_prior_n"   # or "close_on_payment"
    retainer_price_days = 5       # N for avg_close_prior_n

    [[option_grants]]
    holder = "PMR and Associates"
    shares = 5_000_000
    strike = 0.04
    grant_date = 1999-01-04
    expiry_date = 1999-02-15

    [[financings]]
    date = 1999-03-15
    amount = 500_000
    fee_rate = 0.05               # finder's fee as a fraction of the amount
    description = "Private placement"

    [[shares_outstanding]]
    date = 1999-01-04
    shares = 10_000_000

An import states the whole engagement: the engagement with the same ``engagement_id`` (or, without one,
the client's engagement with the same ``start_date``) is updated, and its option grants and financings
are replaced by the file's, in one transaction; shares outstanding are upserted by date. Importing the
same file twice leaves the same rows. :func:`validate_terms` lists every problem in words before
anything is written.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ingest.csvread import date_problem, shown
from ingest.providers.errors import ProviderError

CLIENT_KEYS = ("client_id", "name", "ticker", "benchmark")
ENGAGEMENT_KEYS = ("engagement_id", "client_id", "consultant", "signed_date", "start_date", "end_date",
                   "retainer_amount", "retainer_frequency", "minimum_months", "retainer_price_rule",
                   "retainer_price_days", "notes")
GRANT_KEYS = ("holder", "shares", "strike", "grant_date", "expiry_date")
FINANCING_KEYS = ("date", "amount", "fee_rate", "description")
SHARES_KEYS = ("date", "shares", "source")
SECTIONS = {"client": CLIENT_KEYS, "engagement": ENGAGEMENT_KEYS, "option_grants": GRANT_KEYS,
            "financings": FINANCING_KEYS, "shares_outstanding": SHARES_KEYS}
DATE_KEYS = {"signed_date", "start_date", "end_date", "grant_date", "expiry_date", "date"}
PRICE_RULES = ("close_on_payment", "avg_close_prior_n")
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
INT_KEYS = {"engagement_id": (1, 2**31 - 1), "minimum_months": (0, 1200), "retainer_price_days": (1, 1000)}
FLOAT_KEYS = {"retainer_amount": 1e12, "shares": 1e15, "strike": 1e9, "amount": 1e13, "fee_rate": 1e3}
TEXT_KEYS = {"client_id", "name", "ticker", "benchmark", "consultant", "retainer_frequency", "retainer_price_rule",
             "notes", "holder", "description", "source"}
MAX_TEXT = {"notes": 5000, "description": 2000}  # characters; other text keys 200
MAX_FILE_CHARS = 1_000_000


class TermsError(ProviderError):
    """Engagement terms rejected as a whole; ``problems`` lists them in words. Nothing was stored."""

    def __init__(self, name: str, problems: list[str]):
        self.name = name = shown(name, 80)
        self.problems = problems
        listed = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{name}: engagement terms rejected ({len(problems)} problem(s)), nothing was stored:\n"
                         f"{listed}\nFix them and import again.")


@dataclass
class Terms:
    """One engagement's terms: ``client`` is None when the client already exists."""

    engagement: dict[str, Any]
    client: dict[str, Any] | None = None
    option_grants: list[dict[str, Any]] = field(default_factory=list)
    financings: list[dict[str, Any]] = field(default_factory=list)
    shares_outstanding: list[dict[str, Any]] = field(default_factory=list)

    @property
    def client_id(self) -> str | None:
        return (self.client or {}).get("client_id") or self.engagement.get("client_id")


def parse_terms(text: str, name: str = "terms") -> Terms:
    """Terms from TOML text; raises :class:`TermsError` on bad TOML, an unknown section or key, or a wrong shape.

    Values are checked by :func:`validate_terms`, not here.
    """
    if len(text) > MAX_FILE_CHARS:
        raise TermsError(name, [f"the file has {len(text):,} characters; engagement terms fit in far fewer "
                                f"(at most {MAX_FILE_CHARS:,}): is this the right file?"])
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TermsError(name, [f"not valid TOML: {exc}"]) from exc
    except RecursionError:
        raise TermsError(name, ["not valid engagement terms: arrays or tables nested too deeply (the terms "
                                "have one level of tables)"]) from None
    problems = []
    for section in doc:
        if section not in SECTIONS:
            problems.append(f"unknown section [{shown(section)}]; the sections are {', '.join(SECTIONS)}.")
    if not isinstance(doc.get("engagement"), dict):
        problems.append("an [engagement] section is required.")
    for section, keys in SECTIONS.items():
        value = doc.get(section)
        if value is None:
            continue
        many = section in ("option_grants", "financings", "shares_outstanding")
        rows = value if many else [value]
        if many and not isinstance(value, list) or not all(isinstance(r, dict) for r in rows):
            problems.append(f"[{section}] must be {'a list of [[' + section + ']] tables' if many else 'a table'}.")
            continue
        for i, row in enumerate(rows, start=1):
            for key in row:
                if key not in keys:
                    where = f"[[{section}]] #{i}" if many else f"[{section}]"
                    problems.append(f"{where}: unknown key '{shown(key)}'; the keys are {', '.join(keys)}.")
    if problems:
        raise TermsError(name, problems)
    return Terms(engagement=dict(doc["engagement"]), client=doc.get("client"),
                 option_grants=list(doc.get("option_grants", [])), financings=list(doc.get("financings", [])),
                 shares_outstanding=list(doc.get("shares_outstanding", [])))


def _date(value) -> dt.date | None:
    """A date from TOML (a date, or a YYYY-MM-DD string); None when empty; raises ValueError when unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return dt.date.fromisoformat(value.strip())
    raise ValueError(value)


def _number(value) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(value)
    if not math.isfinite(value):
        raise ValueError(value)
    return float(value)


def normalise_terms(terms: Terms) -> tuple[Terms, list[str]]:
    """Dates as dates, numbers as floats, ticker upper-case; plus the problems of unreadable values."""
    problems: list[str] = []

    def clean(row: dict, where: str) -> dict:
        out = {}
        for key, value in row.items():
            try:
                if key in DATE_KEYS:
                    value = _date(value)
                    wrong = value is not None and date_problem(value, key)
                    if wrong:
                        problems.append(f"{where}: {wrong}.")
                        value = None
                elif key in FLOAT_KEYS:
                    value = _number(value)
                    if value is not None and abs(value) > FLOAT_KEYS[key]:
                        problems.append(f"{where}: {key} = {value:g} is beyond {FLOAT_KEYS[key]:g}: check the "
                                        "number (units are dollars and shares).")
                        value = None
                elif key in INT_KEYS:
                    lo, hi = INT_KEYS[key]
                    if isinstance(value, int) and not isinstance(value, bool) and not lo <= value <= hi:
                        problems.append(f"{where}: {key} = {shown(value)} is outside {lo:,}..{hi:,}.")
                        value = None
                    else:
                        value = None if value is None or value == "" else _number(value)
                        if value is not None and value != int(value):
                            raise ValueError(value)
                        value = None if value is None else int(value)
                        if value is not None and not lo <= value <= hi:
                            problems.append(f"{where}: {key} = {value} is outside {lo:,}..{hi:,}.")
                            value = None
                elif key in TEXT_KEYS and value is not None and not isinstance(value, str):
                    problems.append(f"{where}: {key} = {shown(value)} must be text in quotes, e.g. "
                                    f"{key} = \"{shown(value)}\".")
                    value = None
                elif isinstance(value, str):
                    value = value.strip() or None
                    limit = MAX_TEXT.get(key, 200)
                    if value is not None and len(value) > limit:
                        problems.append(f"{where}: {key} has {len(value):,} characters; at most {limit:,}.")
                        value = None
            except (ValueError, TypeError, OverflowError):
                kind = ("a date (YYYY-MM-DD)" if key in DATE_KEYS else
                        "a whole number" if key in INT_KEYS else "a number")
                problems.append(f"{where}: {key} = {shown(repr(value))} is not {kind}.")
                value = None
            out[key] = value
        return out

    client = None
    if terms.client is not None:
        client = clean(terms.client, "[client]")
        for key in ("ticker", "benchmark"):
            if client.get(key):
                client[key] = str(client[key]).upper()
    out = Terms(
        engagement=clean(terms.engagement, "[engagement]"), client=client,
        option_grants=[clean(r, f"[[option_grants]] #{i}") for i, r in enumerate(terms.option_grants, 1)],
        financings=[clean(r, f"[[financings]] #{i}") for i, r in enumerate(terms.financings, 1)],
        shares_outstanding=[clean(r, f"[[shares_outstanding]] #{i}")
                            for i, r in enumerate(terms.shares_outstanding, 1)],
    )
    return out, problems


def validate_terms(terms: Terms, known_clients: pd.DataFrame | None = None) -> list[str]:
    """Every problem of ``terms`` (normalised by :func:`normalise_terms`) in words; empty when it can be stored.

    ``known_clients`` (``client_id, ticker``) lets a file without a [client] section name an existing one.
    """
    problems = []
    e = terms.engagement
    client_id = terms.client_id
    if terms.client is not None:
        if not SLUG.fullmatch(str(terms.client.get("client_id") or "")):
            problems.append(f"[client]: client_id {shown(repr(terms.client.get('client_id')))} must be a slug (lower-case "
                            "letters, digits, - or _), e.g. 'auxer'.")
        if not terms.client.get("name"):
            problems.append("[client]: name is required.")
        if e.get("client_id") and e["client_id"] != terms.client.get("client_id"):
            problems.append(f"[engagement]: client_id {shown(repr(e['client_id']))} differs from [client] "
                            f"{shown(repr(terms.client.get('client_id')))}; give it once.")
    elif not client_id:
        problems.append("name the client: a [client] section, or client_id in [engagement].")
    elif known_clients is not None and client_id not in set(known_clients["client_id"]):
        problems.append(f"client {shown(repr(client_id))} is not in the workspace: add a [client] section "
                        "(client_id, name, ticker) or add the client on the Data page first.")

    if not e.get("start_date"):
        problems.append("[engagement]: start_date is required.")
    if e.get("end_date") and e.get("start_date") and e["end_date"] < e["start_date"]:
        problems.append("[engagement]: end_date is before start_date.")
    if e.get("retainer_amount") is None:
        problems.append("[engagement]: retainer_amount (USD per payment) is required; 0 for none.")
    elif e["retainer_amount"] < 0:
        problems.append("[engagement]: retainer_amount is negative.")
    if (e.get("retainer_frequency") or "monthly") != "monthly":
        problems.append(f"[engagement]: retainer_frequency {shown(repr(e['retainer_frequency']))}: only 'monthly' is "
                        "supported.")
    if e.get("minimum_months") is not None and e["minimum_months"] < 0:
        problems.append("[engagement]: minimum_months is negative.")
    rule = e.get("retainer_price_rule") or "close_on_payment"
    if rule not in PRICE_RULES:
        problems.append(f"[engagement]: retainer_price_rule {shown(repr(rule))} must be one of {', '.join(PRICE_RULES)}.")
    elif rule == "avg_close_prior_n" and not (e.get("retainer_price_days") or 0) >= 1:
        problems.append("[engagement]: retainer_price_rule 'avg_close_prior_n' needs retainer_price_days "
                        "(at least 1).")

    for i, g in enumerate(terms.option_grants, start=1):
        where = f"[[option_grants]] #{i}"
        for key in ("shares", "strike"):
            if g.get(key) is None:
                problems.append(f"{where}: {key} is required.")
            elif g[key] <= 0:
                problems.append(f"{where}: {key} must be positive.")
        if not g.get("grant_date"):
            problems.append(f"{where}: grant_date is required.")
        if g.get("expiry_date") and g.get("grant_date") and g["expiry_date"] < g["grant_date"]:
            problems.append(f"{where}: expiry_date is before grant_date.")
    for i, f in enumerate(terms.financings, start=1):
        where = f"[[financings]] #{i}"
        if not f.get("date"):
            problems.append(f"{where}: date is required.")
        if f.get("amount") is None:
            problems.append(f"{where}: amount is required.")
        elif f["amount"] < 0:
            problems.append(f"{where}: amount is negative.")
        if f.get("fee_rate") is not None and not 0 <= f["fee_rate"] <= 1:
            problems.append(f"{where}: fee_rate {f['fee_rate']:g} must be a fraction between 0 and 1 "
                            "(5% is 0.05).")
    ticker = terms_ticker(terms, known_clients)
    seen = set()
    for i, s in enumerate(terms.shares_outstanding, start=1):
        where = f"[[shares_outstanding]] #{i}"
        if not s.get("date"):
            problems.append(f"{where}: date is required.")
        elif s["date"] in seen:
            problems.append(f"{where}: {s['date']} is given twice.")
        seen.add(s.get("date"))
        if s.get("shares") is None:
            problems.append(f"{where}: shares is required.")
        elif s["shares"] <= 0:
            problems.append(f"{where}: shares must be positive.")
    if terms.shares_outstanding and not ticker:
        problems.append("[[shares_outstanding]] needs the client's ticker: give ticker in [client].")
    return problems


def terms_ticker(terms: Terms, known_clients: pd.DataFrame | None = None) -> str | None:
    """The ticker the shares outstanding belong to: [client] ticker, else the stored client's."""
    ticker = (terms.client or {}).get("ticker")
    if ticker or known_clients is None or terms.client_id not in set(known_clients["client_id"]):
        return ticker
    stored = known_clients.set_index("client_id").loc[terms.client_id, "ticker"]
    return stored if isinstance(stored, str) and stored else None


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or (isinstance(value, float) and value == int(value) and abs(value) < 1e15):
        return f"{int(value):_}" if abs(value) >= 10_000 else str(int(value))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.date, pd.Timestamp)):
        return f"{pd.Timestamp(value):%Y-%m-%d}"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _present(value) -> bool:
    if value is None or isinstance(value, str):
        return value not in (None, "")
    try:
        return not pd.isna(value)
    except (TypeError, ValueError):
        return True


def terms_to_toml(terms: Terms, note: str | None = None) -> str:
    """The terms as a TOML file :func:`parse_terms` reads back (empty values left out; ``note`` as a comment)."""
    lines = ["# Engagement terms: python -m ingest import-terms FILE, or upload on the Engagement page."]
    if note:
        lines.append(f"# {note}")

    def table(header: str, row: dict, keys) -> None:
        lines.extend(["", header])
        lines.extend(f"{k} = {_toml_value(row[k])}" for k in keys if k in row and _present(row[k]))

    if terms.client is not None:
        table("[client]", terms.client, CLIENT_KEYS)
    table("[engagement]", terms.engagement, ENGAGEMENT_KEYS)
    for section, rows in (("option_grants", terms.option_grants), ("financings", terms.financings),
                          ("shares_outstanding", terms.shares_outstanding)):
        for row in rows:
            table(f"[[{section}]]", row, SECTIONS[section])
    return "\n".join(lines) + "\n"


def terms_from_store(client: dict, engagement: dict, grants: pd.DataFrame, financings: pd.DataFrame,
                     shares: pd.DataFrame | None = None) -> Terms:
    """The stored terms of one engagement as :class:`Terms` (for the Engagement page's download)."""
    def rows(frame: pd.DataFrame | None, keys) -> list[dict]:
        if frame is None or frame.empty:
            return []
        return [{k: r[k] for k in keys if k in r and _present(r[k])} for r in frame.to_dict("records")]

    eng = {k: engagement[k] for k in ENGAGEMENT_KEYS if k in engagement and _present(engagement[k])}
    eng.pop("client_id", None)
    return Terms(engagement=eng, client={k: client[k] for k in CLIENT_KEYS if k in client and _present(client[k])},
                 option_grants=rows(grants, GRANT_KEYS), financings=rows(financings, FINANCING_KEYS),
                 shares_outstanding=rows(shares, SHARES_KEYS))


def checked_terms(terms: Terms, name: str = "terms", known_clients: pd.DataFrame | None = None) -> Terms:
    """``terms`` normalised and validated; raises :class:`TermsError` listing every problem."""
    terms, problems = normalise_terms(terms)
    problems += validate_terms(terms, known_clients)
    if problems:
        raise TermsError(name, problems)
    return terms


def load_terms(text: str, name: str = "terms", known_clients: pd.DataFrame | None = None) -> Terms:
    """Parsed, normalised and validated terms from TOML text; raises :class:`TermsError` listing every problem."""
    return checked_terms(parse_terms(text, name), name, known_clients)


def write_terms(store, terms: Terms) -> dict:
    """Store validated terms in one transaction (``Store.save_terms``); returns what was written."""
    ticker = terms_ticker(terms, store.clients())
    shares = pd.DataFrame(
        [{"ticker": ticker, "date": s["date"], "shares": s["shares"], "source": s.get("source") or "terms"}
         for s in terms.shares_outstanding], columns=["ticker", "date", "shares", "source"])
    engagement = {k: v for k, v in terms.engagement.items() if v is not None}
    if terms.client is None:
        engagement["client_id"] = terms.client_id
    return store.save_terms(engagement, client=terms.client,
                            grants=[{k: v for k, v in g.items() if v is not None} for g in terms.option_grants],
                            financings=[{k: v for k, v in f.items() if v is not None} for f in terms.financings],
                            shares=shares)
