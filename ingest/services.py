"""`python -m ingest import-inquiries|import-mailings|import-coverage`: the services' logs from CSV files.

Each file is checked as a whole before anything is written (problems listed by line number, the file's
values echoed capped and sanitised); importing the same file again adds nothing (``store.services``
merges by natural key and counts added / updated / unchanged). The columns:

- inquiries: ``received_at,channel,topic,answered_at,answered_by`` (``received_at`` required; a date or a
  date and time such as ``1999-01-06 14:30``; ``answered_at`` empty while open, never before ``received_at``);
- mailings: ``date,kind,recipients,list_name,calls,meetings,inquiries,cost,activity_id`` (``kind`` is
  ``broker_dealer_mailing`` or ``fax_mail_blast``, or their labels or letters B and H; counts are whole
  numbers, 0 or more, and the responses ``calls + meetings + inquiries`` at most the recipients; the
  optional ``activity_id`` links the mailing to the client's activity of that id);
- coverage: ``date,market_makers,analysts,source`` (at least one of the two counts on each line).

Dates must lie in 1900-2100; numbers must be finite and not negative. Exit codes are those of
``ingest.jobs`` (0 ok, 3 input rejected, 7 workspace locked, 10 unusable path, 11 unknown client).
"""
from __future__ import annotations

import math
import re
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd

from analytics.services import MAILING_KINDS, RESPONSE_KINDS
from ingest import jobs
from ingest.activities import activity_type_code, display_name
from ingest.csvread import date_problem, finite_number, parse_date, parse_number, pick_date_format, best_date_format, read_table, \
    read_text, shown
from ingest.providers.errors import CsvFormatError
from store import Store
from store import services as store_services
from store.store import ClientError

JOBS: tuple[str, ...] = ("import-inquiries", "import-mailings", "import-coverage")
TABLE_OF_JOB = {"import-inquiries": "inquiries", "import-mailings": "mailings", "import-coverage": "coverage_counts"}
WHAT = {"inquiries": "inquiry log", "mailings": "mailing log", "coverage_counts": "coverage counts"}
COLUMNS = {  # what each file holds, for the messages and the page's empty states
    "inquiries": "received_at,channel,topic,answered_at,answered_by",
    "mailings": "date,kind,recipients,list_name,calls,meetings,inquiries,cost,activity_id",
    "coverage_counts": "date,market_makers,analysts,source",
}
REQUIRED = {"inquiries": ("received_at",), "mailings": ("date", "kind", "recipients"), "coverage_counts": ("date",)}
HEADER_ALIASES = {
    "client": "client_id", "received": "received_at", "received_on": "received_at", "date_received": "received_at",
    "answered": "answered_at", "answered_on": "answered_at", "date_answered": "answered_at", "by": "answered_by",
    "subject": "topic", "list": "list_name", "mailing_list": "list_name", "type": "kind", "sent": "recipients",
    "mailed": "recipients", "market_maker_count": "market_makers", "mm": "market_makers", "analyst_count": "analysts",
    "activity": "activity_id", "cost_usd": "cost",
}
FIELD_LIMITS = {"client_id": 64, "channel": 100, "topic": 300, "answered_by": 200, "list_name": 200, "source": 300}
MAX_COUNT = 10_000_000_000      # recipients or responses: more than the world's population is a typo
MAX_COVERAGE = 100_000          # market makers or analysts of one stock
MAX_COST = 1_000_000_000_000.0  # dollars for one mailing
_TIME = re.compile(r"^(?P<day>.+?)[ T](?P<time>\d{1,2}:\d{2}(?::\d{2})?)$")


def _split_moment(raw: str) -> tuple[str, str | None]:
    """'1999-01-06 14:30' -> ('1999-01-06', '14:30'); a date alone -> (date, None)."""
    m = _TIME.match(raw.strip())
    return (m.group("day"), m.group("time")) if m else (raw.strip(), None)


def _moment(raw: str, fmt: str, what: str) -> tuple[pd.Timestamp | None, str | None]:
    day, clock = _split_moment(raw)
    try:
        parsed = parse_date(day, fmt)
    except ValueError:
        return None, f"{what} '{shown(raw, 30)}' is not a date in the file's format ({fmt}, optionally HH:MM)"
    wrong = date_problem(parsed, what)
    if wrong:
        return None, wrong
    if clock:
        try:
            t = datetime.strptime(clock, "%H:%M:%S" if clock.count(":") == 2 else "%H:%M").time()
        except ValueError:
            return None, f"{what} time '{shown(clock, 12)}' is not a time of day (HH:MM, 00:00 to 23:59)"
        parsed = datetime.combine(parsed.date(), t)
    return pd.Timestamp(parsed), None


def _count(raw: str, column: str, delimiter: str, limit: float) -> tuple[int | None, str | None]:
    value, problem = finite_number(raw, column, delimiter)
    if problem:
        return None, problem
    if value < 0:
        return None, f"{column} {value:g} is negative"
    if value != int(value):
        return None, f"{column} {value:g} is not a whole number"
    if value > limit:
        return None, f"{column} {value:g} is more than {limit:,.0f}: check the column"
    return int(value), None


def _cost(raw: str, delimiter: str) -> tuple[float | None, str | None]:
    try:
        value = parse_number(raw, delimiter)
    except (ValueError, OverflowError):
        return None, f"cost '{shown(raw, 30)}' is not a finite number"
    if not math.isfinite(value):
        return None, f"cost '{shown(raw, 30)}' is not a finite number"
    if value < 0:
        return None, f"cost {value:g} is negative"
    if value > MAX_COST:
        return None, f"cost {value:g} is more than ${MAX_COST:,.0f} for one mailing: check the column"
    return value, None


def mailing_kind(value: str) -> str | None:
    """The mailing kind for a code, label or letter (B, H); None when it is not a mailing kind."""
    code = activity_type_code(value) if value.strip() else None
    return code if code in MAILING_KINDS else None


def parse_services_csv(source, table: str, client_id: str | None = None) -> pd.DataFrame:
    """Rows of an inquiry, mailing or coverage CSV ready for ``store.services.merge``; CsvFormatError otherwise.

    ``table`` is ``"inquiries"``, ``"mailings"`` or ``"coverage_counts"``. Every problem is listed with
    its line; the whole file is rejected on any.
    """
    what = WHAT[table]
    text, name = read_text(source)
    name = display_name(name)
    parsed, problems = read_table(text, HEADER_ALIASES)
    if parsed is None:
        raise CsvFormatError(name, problems, what=what)
    missing = [c for c in REQUIRED[table] if c not in parsed.header]
    if client_id is None and "client_id" not in parsed.header:
        missing.append("client_id (or pass --client)")
    if table == "coverage_counts" and not {"market_makers", "analysts"} & set(parsed.header):
        missing.append("market_makers or analysts")
    if missing:
        problems.append((parsed.header_line, f"missing column(s) {', '.join(missing)}; expected "
                                             f"{COLUMNS[table]}"))
    elif not parsed.rows:
        problems.append((parsed.header_line, "no rows after the header"))
    if problems:
        raise CsvFormatError(name, problems, what=what)
    col = {h: i for i, h in enumerate(parsed.header)}
    n = len(parsed.header)
    date_cols = ("received_at", "answered_at") if table == "inquiries" else ("date",)
    days = [_split_moment(f[col[c]])[0] for _, f in parsed.rows if len(f) == n for c in date_cols
            if c in col and f[col[c]].strip()]
    fmt = pick_date_format(days) or best_date_format(days)
    records, first_line = [], {}
    for line, fields in parsed.rows:
        if len(fields) != n:
            problems.append((line, f"expected {n} fields like the header, found {len(fields)}"))
            continue
        get = lambda c: fields[col[c]].strip() if c in col else ""  # noqa: E731
        rec, errs = {"client_id": get("client_id") or client_id}, []
        if client_id and get("client_id") and get("client_id") != client_id:
            errs.append(f"client '{shown(get('client_id'), 40)}' is not the client being imported ({client_id})")
        for c, limit in FIELD_LIMITS.items():
            if len(get(c)) > limit:
                errs.append(f"{c} is {len(get(c)):,} characters long, more than {limit:,}: shorten it")
        for c in date_cols:
            rec[c] = None
            if not get(c):
                if c in REQUIRED[table]:
                    errs.append(f"{c} is empty")
                continue
            value, problem = _moment(get(c), fmt, c)
            if problem:
                errs.append(problem)
            elif table != "inquiries":
                rec[c] = value.normalize()
            else:
                rec[c] = value
        if table == "inquiries":
            if rec["received_at"] is not None and rec["answered_at"] is not None \
                    and rec["answered_at"] < rec["received_at"]:
                errs.append(f"answered_at {rec['answered_at']} is before received_at {rec['received_at']}")
            for c in ("channel", "topic", "answered_by"):
                rec[c] = get(c) or None
        elif table == "mailings":
            kind = mailing_kind(get("kind"))
            if kind is None:
                errs.append(f"kind '{shown(get('kind'), 40)}' is not a mailing; use broker_dealer_mailing (B) or "
                            "fax_mail_blast (H)")
            rec["kind"] = kind
            rec["list_name"] = get("list_name") or None
            for c in ("recipients", *RESPONSE_KINDS):
                rec[c] = 0 if c != "recipients" else None
                if get(c):
                    rec[c], problem = _count(get(c), c, parsed.delimiter, MAX_COUNT)
                    if problem:
                        errs.append(problem)
                elif c == "recipients":
                    errs.append("recipients is empty")
            responses = [rec[c] for c in RESPONSE_KINDS]
            if rec["recipients"] is not None and None not in responses and sum(responses) > rec["recipients"]:
                errs.append(f"{sum(responses)} responses (calls + meetings + inquiries) for {rec['recipients']} "
                            "recipients: count each recipient who answered once, or check the columns")
            rec["cost"] = None
            if get("cost"):
                rec["cost"], problem = _cost(get("cost"), parsed.delimiter)
                if problem:
                    errs.append(problem)
            rec["activity_id"] = None
            if get("activity_id"):
                rec["activity_id"], problem = _count(get("activity_id"), "activity_id", parsed.delimiter, 2 ** 31)
                if problem:
                    errs.append(problem)
        else:
            for c in ("market_makers", "analysts"):
                rec[c] = None
                if get(c):
                    rec[c], problem = _count(get(c), c, parsed.delimiter, MAX_COVERAGE)
                    if problem:
                        errs.append(problem)
            if not get("market_makers") and not get("analysts"):
                errs.append("neither market_makers nor analysts is given")
            rec["source"] = get("source") or None
        if errs:
            problems.append((line, "; ".join(errs)))
            continue
        key = store_services._key(table, rec)
        if key in first_line:
            problems.append((line, f"same {', '.join(store_services.TABLES[table][1])} as line {first_line[key]}: "
                                   "a second import could not tell them apart; merge them or tell them apart"))
            continue
        first_line[key] = line
        records.append(rec)
    problems.sort(key=lambda p: p[0])
    if problems:
        raise CsvFormatError(name, problems, what=what)
    return pd.DataFrame.from_records(records)


def _check_activity_links(store: Store, frame: pd.DataFrame, client_id: str, name: str) -> None:
    """Every mailing's activity_id is an activity of the client (else the file is rejected)."""
    if "activity_id" not in frame or frame["activity_id"].isna().all():
        return
    known = set(store.activities(client_id)["activity_id"].astype(int))
    bad = [(i, int(a)) for i, a in enumerate(frame["activity_id"]) if a is not None and not pd.isna(a)
           and int(a) not in known]
    if bad:
        raise CsvFormatError(name, [(0, f"row {i + 1}: activity_id {a} is not an activity of {client_id}; see the "
                                        "Activities page for the ids, or leave the column empty") for i, a in bad],
                             what=WHAT["mailings"])


def import_services(store: Store, job: str, path, client_id: str) -> jobs.JobSummary:
    """Merge an inquiry, mailing or coverage CSV into a client (rejected whole on any problem), logged."""
    table = TABLE_OF_JOB[job]
    jobs.usable_file(path, f"the {WHAT[table]}'s")

    def work(finish):
        if not Path(path).is_file():
            raise CsvFormatError(shown(path, 120), [(0, "file not found: check the path")], what=WHAT[table])
        frame = parse_services_csv(path, table, client_id=client_id)
        known = store.clients()["client_id"].tolist()
        if client_id not in known:
            raise ClientError(f"Unknown client '{shown(client_id)}' (known: {', '.join(known) or 'none'}): add the "
                              "client first (the dashboard's Data page, or the import-terms job), or check the "
                              "--client spelling.")
        if table == "mailings":
            _check_activity_links(store, frame, client_id, display_name(path))
        written = store_services.merge(store, table, frame)
        return jobs.JobSummary(job, client_id, added=written.added, updated=written.updated,
                               unchanged=written.unchanged)
    return jobs._logged(store, job, None, work)


def add_parsers(sub) -> None:
    """Register this module's jobs on the CLI's subparsers."""
    helps = {"inquiries": "merge a shareholder-inquiry log CSV into a client",
             "mailings": "merge a mailing log CSV (broker/dealer packages, fax/mail blasts) into a client",
             "coverage_counts": "merge market-maker and analyst counts from a CSV into a client"}
    for job, table in TABLE_OF_JOB.items():
        p = sub.add_parser(job, help=f"{helps[table]} (the same rows again: unchanged, or updated when their "
                                     "details differ)")
        p.add_argument("file", help=f"CSV with {COLUMNS[table]}")
        p.add_argument("--client", required=True, help=f"client_id the {WHAT[table]} belongs to")


def run(store: Store, args) -> int:
    """Carry out one of :data:`JOBS`; prints the summary line and returns the exit code."""
    try:
        summary = import_services(store, args.job, args.file, args.client)
    except Exception as exc:  # every failure ends with one clear line and its exit code
        code = jobs.exit_code_for(exc)
        if code == jobs.EXIT_ERROR and not isinstance(exc, (jobs.ProviderError, jobs.StoreError)):
            import traceback

            traceback.print_exc(file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        print(f"{args.job}: failed ({jobs.EXIT_CODES[code]}), exit code {code}")
        return code
    print(summary.line())
    return summary.exit_code


def validate_rows(table: str, frame: pd.DataFrame) -> list[tuple[int, str]]:
    """Problems (row position, message) of edited log rows, by the rules of the CSV import; empty when valid.

    ``frame`` holds the editor's rows with the table's columns (dates as dates or Timestamps, numbers as
    numbers); the dashboard's editor calls it before writing.
    """
    from ingest.activities import date_in_range

    out: list[tuple[int, str]] = []
    for i, r in enumerate(frame.reset_index(drop=True).to_dict("records")):
        def blank(c):
            v = r.get(c)
            return v is None or (not isinstance(v, str) and pd.isna(v)) or (isinstance(v, str) and not v.strip())

        for c, limit in FIELD_LIMITS.items():
            if isinstance(r.get(c), str) and len(r[c]) > limit:
                out.append((i, f"{c} is {len(r[c]):,} characters long, more than {limit:,}"))
        dates = ("received_at", "answered_at") if table == "inquiries" else ("date",)
        for c in dates:
            if blank(c):
                if c in REQUIRED[table]:
                    out.append((i, f"{c} is empty"))
                continue
            problem = date_in_range(r[c], c)
            if problem:
                out.append((i, problem))
        if table == "inquiries" and not blank("received_at") and not blank("answered_at") \
                and not date_in_range(r["received_at"], "") and not date_in_range(r["answered_at"], "") \
                and pd.Timestamp(r["answered_at"]) < pd.Timestamp(r["received_at"]):
            out.append((i, "answered_at is before received_at"))
        counts = {"mailings": ("recipients", *RESPONSE_KINDS, "activity_id"),
                  "coverage_counts": ("market_makers", "analysts")}.get(table, ())
        values = {}
        for c in counts:
            if blank(c):
                if c == "recipients":
                    out.append((i, "recipients is empty"))
                continue
            try:
                x = float(r[c])
            except (TypeError, ValueError, OverflowError):
                out.append((i, f"{c} '{shown(r[c], 30)}' is not a number"))
                continue
            limit = MAX_COVERAGE if table == "coverage_counts" else (2 ** 31 if c == "activity_id" else MAX_COUNT)
            if not math.isfinite(x):
                out.append((i, f"{c} is not a finite number"))
            elif x < 0:
                out.append((i, f"{c} is negative"))
            elif x != int(x):
                out.append((i, f"{c} {x:g} is not a whole number"))
            elif x > limit:
                out.append((i, f"{c} {x:g} is more than {limit:,.0f}"))
            else:
                values[c] = int(x)
        if table == "mailings":
            if mailing_kind(str(r.get("kind") or "")) is None:
                out.append((i, f"kind '{shown(r.get('kind'), 40)}' is not a mailing (broker_dealer_mailing or "
                               "fax_mail_blast)"))
            responses = sum(values.get(c, 0) for c in RESPONSE_KINDS)
            if "recipients" in values and responses > values["recipients"]:
                out.append((i, f"{responses} responses for {values['recipients']} recipients"))
            if not blank("cost"):
                _, problem = _cost(str(r["cost"]), ",")
                if problem:
                    out.append((i, problem))
        if table == "coverage_counts" and blank("market_makers") and blank("analysts"):
            out.append((i, "neither market_makers nor analysts is given"))
    return out
