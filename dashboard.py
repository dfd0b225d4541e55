"""Entry point: ``streamlit run dashboard.py``. Who may look (app.auth), then routes the pages with st.navigation."""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

# pandas first: a plotly figure built while another session's thread is still importing pandas fails
# with "partially initialized module 'pandas'" on a cold server with concurrent first sessions.
import pandas  # noqa: F401
import streamlit as st

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # `streamlit run` puts the script's folder first; AppTest may not
    sys.path.insert(0, str(ROOT))

from app import auth, loaders, timing  # noqa: E402
from store import StoreBusyError  # noqa: E402
from streamlit.runtime.scriptrunner_utils.exceptions import StopException  # noqa: E402

_timing = timing.start()  # server-side page time (IRDASH_TIMING); ends in the finally below
PAGES = ROOT / "app" / "pages"
LOG = logging.getLogger("irdash")

st.set_page_config(page_title="IR awareness analytics", page_icon=str(ROOT / "app" / "static" / "favicon.png"), layout="wide")


def _sign_out(db: str) -> None:
    auth.audit(db, "sign-out")
    st.logout()


def _refuse_or_sign_in(db: str):
    """Stop here unless this session may see the workspace; returns its scope."""
    run_mode = auth.mode()
    configured = auth.providers(auth._auth_section()) if run_mode == auth.DEPLOY else []  # the demo reads no secrets
    problem = auth.startup_problem(run_mode, st.get_option("server.address"), configured)
    if problem:
        LOG.error(problem)
        st.title("IR awareness analytics")
        st.error(problem)
        st.stop()
    if run_mode == auth.DEMO:
        st.sidebar.caption(f":material/lock: {auth.DEMO_LINE}")
        return auth.current_scope(db)
    if auth.signed_in_email() is None:
        st.title("IR awareness analytics")
        st.write("Sign in to see your clients' investor-relations programmes.")
        for provider in configured:
            label = "Sign in" if provider is None else f"Sign in with {provider.title()}"
            st.button(label, key=f"login_{provider or 'default'}", type="primary", icon=":material/login:",
                      on_click=st.login, args=() if provider is None else (provider,))
        st.stop()
    email = auth.signed_in_email()
    scope = auth.current_scope(db)
    if st.session_state.get("_audited_sign_in") != email:
        st.session_state["_audited_sign_in"] = email
        auth.audit(db, "sign-in" if scope is not None else "denied", None,
                   None if scope is not None else "signed in but not a user of this workspace")
    if scope is None or scope.user.disabled:
        st.title("IR awareness analytics")
        shown = email.replace("`", "'")  # the identity provider's text: shown as code, never as markdown
        st.warning(f"You are signed in as `{shown}`, but this address has no access to this workspace. "
                   "Ask your consultant to add you (Data page, *Users and access*).")
        st.button("Sign out", on_click=st.logout, icon=":material/logout:")
        st.stop()
    side = st.sidebar
    side.text(f"Signed in as {email} ({scope.user.role})")  # plain text: no markdown, no mailto link
    side.button("Sign out", key="logout", on_click=_sign_out, args=(db,), icon=":material/logout:")
    return scope


def _not_available(scope) -> bool:
    """Another client's (or an unknown) id or ticker in the URL: say "not available", name nothing."""
    wanted_client = st.query_params.get("client")
    wanted_ticker = st.query_params.get("ticker")
    bad = (wanted_client and not scope.allows_client(wanted_client)) or \
          (wanted_ticker and not scope.allows_ticker(wanted_ticker))
    if scope.everything and wanted_client:  # the demo sees every client; an unknown id is still refused
        known = set(loaders.clients(loaders.db_path()).get("client_id", []))
        bad = bad or (bool(known) and wanted_client not in known)
    if not bad:
        return False
    st.title("Not available")
    st.info("This client is not available to your account. Open the dashboard without the link's client to see "
            "the clients you have.", icon=":material/block:")
    if st.button("Show my clients", key="clear_client"):
        for name in ("client", "ticker"):
            if name in st.query_params:
                del st.query_params[name]
        st.rerun()
    return True


db = loaders.db_path()
scope = _refuse_or_sign_in(db)
navigation = st.navigation([
    # the default page is served at "/" only; the hidden page below serves the same Overview at /overview
    st.Page(PAGES / "overview.py", title="Overview", icon=":material/dashboard:", url_path="home", default=True),
    st.Page(PAGES / "overview_address.py", title="Overview", icon=":material/dashboard:", url_path="overview",
            visibility="hidden"),
    st.Page(PAGES / "activities.py", title="Activities", icon=":material/campaign:", url_path="activities"),
    st.Page(PAGES / "event_impact.py", title="Event impact", icon=":material/query_stats:", url_path="event-impact"),
    st.Page(PAGES / "engagement.py", title="Engagement", icon=":material/handshake:", url_path="engagement"),
    st.Page(PAGES / "integrity.py", title="Promotion integrity", icon=":material/gavel:", url_path="integrity"),
    st.Page(PAGES / "services.py", title="Services", icon=":material/support_agent:", url_path="services"),
    st.Page(PAGES / "peers.py", title="Peers", icon=":material/groups:", url_path="peers"),
    st.Page(PAGES / "roi_report.py", title="ROI report", icon=":material/summarize:", url_path="roi-report"),
    st.Page(PAGES / "data.py", title="Data", icon=":material/database:", url_path="data"),
])
if _not_available(scope):
    if not scope.everything:
        auth.audit(db, "denied", None, f"{navigation.title}: a client or ticker outside their scope in the URL")
    st.stop()
st.session_state["_page_title"] = navigation.title  # the view audit row names it (app.auth.audit_view)
try:
    navigation.run()
except auth.AccessDenied as exc:  # a write or read the user may not make: say so, nothing more
    st.warning(str(exc), icon=":material/block:")
except StoreBusyError:  # an ingest job holds the file longer than the lock wait: transient, say so
    LOG.warning("page %s: workspace busy", navigation.title, exc_info=True)
    timing.note(_timing, "busy")
    st.warning("The workspace is busy (a load or import is writing to it). Reload the page in a few seconds.",
               icon=":material/hourglass_top:")
except Exception:  # error details stay in the server log (client.showErrorDetails is off outside development)
    if str(st.get_option("client.showErrorDetails")).lower() in ("full", "stacktrace", "true"):
        raise  # development and the tests: Streamlit shows the traceback
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    LOG.exception("page %s failed (%s UTC)", navigation.title, stamp)
    timing.note(_timing, "error")
    st.error(f"Something went wrong on this page and it could not be shown. The details were written to the "
             f"server's log ({stamp} UTC); reload the page, or tell whoever runs this dashboard.",
             icon=":material/error:")
finally:
    # first: after a page's st.stop() any st.* call below raises StopException again (Streamlit 1.67)
    timing.finish(_timing, navigation.title, navigation.url_path, sys.exc_info()[1])
    if not scope.everything and not isinstance(sys.exc_info()[1], StopException):
        # pages with a client selector audited the view already (ui.sidebar_view); after a page's
        # st.stop() no st.* call works here, so a page that stops audits through sidebar_view only
        auth.audit_view(db, navigation.title, st.session_state.get("_url_client"))
