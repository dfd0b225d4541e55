"""Presentation pieces shared by the pages: the simulated-data banner, the sidebar view, empty
states, and charts/tables with their download buttons (files built only when clicked)."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import exports, loaders, memo, state

SIMULATED_BANNER = (
    "**Simulated data.** Demo workspace: every price and volume shown is generated (seeded, "
    "reproducible), not market history. The contract terms are those of the real engagement."
)


#: The page's own CSS (key metrics wrap instead of being cut with an ellipsis); see the file's comment.
LAYOUT_CSS = Path(__file__).resolve().parent / "static" / "layout.css"


def page_header(title: str | None, caption: str | None = None, *, container=st) -> tuple[str, dict]:
    """Title (None: already drawn), the simulated-data banner where it applies; returns (db path, info)."""
    st.html(LAYOUT_CSS)  # style only: Streamlit puts it in the event container, it takes no space
    db = loaders.db_path()
    info = loaders.workspace_info(db)
    if title:
        container.title(title)
    if caption:
        container.caption(caption)
    if info.get("simulated"):
        container.warning(SIMULATED_BANNER, icon=":material/science:")
    return db, info


# --- user text is hostile: escape it before st.markdown (and html.escape in the report) --------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=^])")
_SCHEMES = ("http://", "https://")


def escape_md(text) -> str:
    """``text`` as literal characters in Streamlit markdown: no image, link, HTML, LaTeX or directive.

    Every markdown punctuation mark gets a backslash (CommonMark renders ``\\x`` as ``x``), so a stored
    ``![x](http://host/...)`` shows as those characters and no viewer's browser fetches anything;
    line breaks are kept. None and NaN become an empty string (never "nan").
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    return "  \n".join(_MD_SPECIAL.sub(r"\\\1", line) for line in str(text).splitlines())


def unescape_md(text: str) -> str:
    """What :func:`escape_md` text reads as (tests compare it with the report and the exports)."""
    return re.sub(r"\\([^\w\s])", r"\1", text).replace("  \n", "\n")


def safe_link(url) -> str | None:
    """``url`` when it is an http(s) address without spaces or quotes, else None (no javascript:, data:...)."""
    if url is None or (not isinstance(url, str) and pd.isna(url)):
        return None
    u = str(url).strip()
    if not u.lower().startswith(_SCHEMES) or re.search(r"[\s\"'<>]", u):
        return None
    return u


def text(value, container=st, *, caption: bool = False) -> None:
    """Show user or generated text as literal characters (escaped markdown)."""
    (container.caption if caption else container.markdown)(escape_md(value))


def sentences(items, container=st) -> None:
    """Plain sentences, one paragraph each, escaped, in one element (one message to the browser, not one a
    sentence: the ROI report has about sixty)."""
    paragraphs = [escape_md(s) for s in items]
    if paragraphs:
        container.markdown("\n\n".join(paragraphs))


def refusals(parsed, container=st) -> None:
    """Say which URL values were refused and what was used instead (never ignored silently)."""
    for r in getattr(parsed, "refusals", ()) or ():
        container.warning(escape_md(r), icon=":material/rule:")


def metric_grid(container, n: int, per_row: int = 3) -> list:
    """``n`` metric slots, ``per_row`` to a row (six in one row cut their values short at laptop width)."""
    slots: list = []
    for _ in range(0, n, per_row):
        slots += container.columns(per_row)
    return slots[:n]


def metric(slot, label: str, value: str, delta: str | None = None, help_text: str | None = None) -> None:
    """A bordered metric; a delta that is not a signed change ("12 days to expiry") gets no arrow or colour."""
    change = isinstance(delta, str) and delta[:1] in "+-"
    slot.metric(label, value, delta, help=help_text, border=True, delta_color="normal" if change else "off",
                delta_arrow="auto" if change else "off")


def no_workspace(db: str, info: dict) -> bool:
    """Say what to do when there is no workspace file yet; True when the page should stop."""
    if info.get("missing"):
        st.info(
            f"No workspace at `{db}` yet. Build the simulated demo with `python -m ingest demo`, "
            "or load a ticker on the **Data** page."
        )
        return True
    return False


def empty_state(message: str, hint: str | None = None) -> None:
    st.info(message + (f"\n\n{hint}" if hint else ""), icon=":material/info:")


@memo.derived()
def _span(cov: pd.DataFrame, ticker: str | None):
    """First and last stored date of ``ticker`` from ``Store.coverage()`` (column names tolerant)."""
    if cov is None or cov.empty or ticker is None or "ticker" not in cov:
        return None, None
    row = cov[cov["ticker"] == ticker]
    if row.empty:
        return None, None
    first = next((c for c in ("first_date", "start", "first", "min_date") if c in row), None)
    last = next((c for c in ("last_date", "end", "last", "max_date") if c in row), None)
    return (row[first].iloc[0] if first else None), (row[last].iloc[0] if last else None)


def sidebar_view(db: str) -> state.View:
    """Client, ticker and period selectors in the sidebar (kept in the URL); returns the view."""
    parsed = state.method_settings()  # before any widget writes the URL back: every refused value is said
    side = st.sidebar
    side.header("View")
    clients = loaders.clients(db)
    client_id = client_name = benchmark = None
    engaged = (None, None)
    ticker_options: list[str] = []
    if not clients.empty:
        names = dict(zip(clients["client_id"], clients["name"]))
        client_id = state.synced_selectbox("Client", list(clients["client_id"]), "client",
                                           container=side, format_func=lambda c: names.get(c, c))
        row = clients[clients["client_id"] == client_id].iloc[0]
        client_name, benchmark = row["name"], row.get("benchmark")
        ticker_options.append(row["ticker"])
        eng = loaders.engagements(db, client_id)
        if not eng.empty:
            engaged = (eng["start_date"].min(), eng["end_date"].max() if eng["end_date"].notna().any() else None)
    secs = loaders.securities(db)
    if not secs.empty:
        others = [t for t in secs["ticker"] if t not in ticker_options and t != benchmark
                  and not str(t).startswith("^")]
        ticker_options += sorted(others)
    ticker = state.synced_selectbox("Ticker", ticker_options, "ticker", container=side) if ticker_options else None
    data_start, data_end = _span(loaders.coverage(db), ticker)
    period = state.period_controls(side, data_start=data_start, data_end=data_end,
                                   has_engagement=engaged[0] is not None)
    start, end = state.resolve_period(period, data_start=data_start, data_end=data_end,
                                      engagement_start=engaged[0], engagement_end=engaged[1])
    if benchmark and isinstance(benchmark, str):
        side.caption("Benchmark: " + escape_md(benchmark))
    refusals(parsed)
    from app import auth

    auth.audit_view(db, st.session_state.get("_page_title"), client_id)  # before the page may st.stop()
    settings = state.method_settings().settings
    from dataclasses import replace

    settings = replace(settings, period=period)
    state.keep_settings(settings)
    return state.View(client_id, client_name, ticker, benchmark if isinstance(benchmark, str) else None,
                      start, end, period, settings)


def chart(fig: go.Figure, name: str, view: state.View | None, *, key: str,
          simulated: bool = False) -> None:
    """Show a figure with PNG / SVG / HTML downloads named after ticker, chart and dates."""
    # the modebar camera would save an unnamed PNG: the named exports below replace it
    st.plotly_chart(fig, key=f"chart_{key}", config={"displaylogo": False, "modeBarButtonsToRemove": ["toImage"]})
    if not may_export():
        return
    ticker = view.ticker if view else None
    start = view.start if view else None
    end = view.end if view else None
    cols = st.columns([1, 1, 1, 5])
    for col, ext, build in ((cols[0], "png", exports.figure_png), (cols[1], "svg", exports.figure_svg),
                            (cols[2], "html", exports.figure_html)):
        download(
            col, f"{ext.upper()} file", lambda build=build: build(fig),
            exports.export_filename(ticker, name, start, end, ext, simulated), view.client_id if view else None,
            mime=exports.MIME[ext], key=f"dl_{key}_{ext}", on_click="ignore",
            icon=":material/download:", help=f"Download this chart as {ext.upper()}",
        )


def table(frame: pd.DataFrame, name: str, view: state.View | None, *, key: str,
          simulated: bool = False, **kwargs) -> None:
    """Show a table with a CSV download (a ``simulated`` column is added to simulated exports)."""
    st.dataframe(frame, hide_index=True, key=f"table_{key}", **kwargs)
    csv_download(frame, name, view, key=key, simulated=simulated)


def csv_download(frame: pd.DataFrame, name: str, view: state.View | None, *, key: str,
                 simulated: bool = False, label: str = "CSV") -> None:
    """A CSV download of ``frame`` named after ticker, table and dates (built only when clicked)."""
    ticker = view.ticker if view else None
    start = view.start if view else None
    end = view.end if view else None
    def build() -> bytes:  # on click only: the labelled copy is not made on every run
        return exports.table_csv(frame.assign(data="simulated") if simulated else frame)

    download(
        st, label, build, exports.export_filename(ticker, name, start, end, "csv", simulated),
        view.client_id if view else None,
        mime="text/csv", key=f"dl_{key}_csv", on_click="ignore", icon=":material/download:",
    )


def may_export() -> bool:
    """Whether the session's user may download files (every role may today: ``store.access.User.can_export``)."""
    return loaders.scope(loaders.db_path()).user.can_export


def may_edit() -> bool:
    """Whether the session's user is offered edit controls (consultants and the local demo: ``User.can_edit``)."""
    return loaders.scope(loaders.db_path()).user.can_edit


def read_only_note(what: str) -> None:
    """The one line a read-only role sees where the edit controls would be."""
    role = loaders.scope(loaders.db_path()).user.role
    st.caption(f":material/lock: Read-only ({escape_md(role)}): ask the consultant to change {escape_md(what)}.")


def download(container, label: str, build, file_name: str, client_id: str | None = None, **kwargs) -> None:
    """A download button whose file is built on click through ``auth.audited`` (an ``export`` audit row: who,
    which file, which client); nothing is offered to a user who may not export."""
    from app import auth

    if not may_export():
        return
    db = loaders.db_path()
    container.download_button(label, data=auth.audited(db, build, file_name, client_id), file_name=file_name,
                              **kwargs)
