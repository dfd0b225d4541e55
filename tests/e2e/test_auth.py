"""Sign-in with a real OpenID Connect provider, in a real browser: who sees what, who may edit, the audit log.

The dashboard runs in deploy mode (``IRDASH_MODE=deploy``) against a real ``oidc-provider-mock``
server; Chromium walks Streamlit's own ``st.login`` flow (the sign-in button, the provider's
authorize page, the callback, the identity cookie). The workspace is the demo's (client ``auxer``,
ticker AXGI) plus a second client built here with confidential notes, an engagement and an activity
whose words must never reach an executive or analyst of Auxer.
"""
from __future__ import annotations

import re
import secrets
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from e2e.conftest import start_streamlit, stop
from store import Store, access

pytestmark = pytest.mark.e2e
TIMEOUT_MS = 60_000
PAGES = ("overview", "activities", "event-impact", "engagement", "integrity", "services", "peers", "roi-report", "data")
# The other client's words: none may appear on any page, export or report seen by Auxer's people.
OTHER_ID, OTHER_NAME, OTHER_TICKER = "zephyr", "Zephyrine Holdings", "ZPHY"
OTHER_SECRETS = (OTHER_NAME, OTHER_TICKER, "CONFIDENTIAL-ZEPHYR-NOTE", "SECRET-ZEPHYR-ACTIVITY")
EXECUTIVE, ANALYST, CONSULTANT = "ceo@auxer.example", "analyst@pmr.example", "partner@pmr.example"
OUTSIDER = "stranger@elsewhere.example"


@pytest.fixture(scope="module")
def workspace(demo_db, tmp_path_factory) -> Path:
    """The demo workspace plus a second, confidential client, and the users of this test."""
    path = tmp_path_factory.mktemp("auth") / "two-clients.duckdb"
    path.write_bytes(demo_db.read_bytes())
    store = Store(path)
    store.save_client(OTHER_ID, OTHER_NAME, OTHER_TICKER, "^ZIDX")
    store.save_engagement(client_id=OTHER_ID, consultant="Rival IR LLC", start_date="1999-01-04",
                          retainer_amount=9999.0, notes="CONFIDENTIAL-ZEPHYR-NOTE: takeover talks")
    store.add_activities(pd.DataFrame({"client_id": [OTHER_ID], "date": pd.to_datetime(["1999-01-20"]),
                                       "type": ["press_release"], "title": ["SECRET-ZEPHYR-ACTIVITY"]}))
    access.set_client_firm(store, "auxer", "pmr")
    access.set_client_firm(store, OTHER_ID, "rival")
    access.add_user(store, EXECUTIVE, "executive", name="Auxer CEO")
    access.assign_client(store, EXECUTIVE, "auxer")
    access.add_user(store, ANALYST, "analyst")
    access.assign_client(store, ANALYST, "auxer")
    access.add_user(store, CONSULTANT, "consultant", firm="pmr")
    return path


@pytest.fixture(scope="module")
def deployed(workspace, oidc_provider, tmp_path_factory) -> str:
    """The dashboard in deploy mode, signing in through the real provider; its secrets file lives in tmp."""
    folder = tmp_path_factory.mktemp("deploy")
    from e2e.conftest import _free_port  # the port goes into redirect_uri before the server starts

    port = _free_port()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "irdash-e2e"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{oidc_provider}/.well-known/openid-configuration"\n')
    proc, url = start_streamlit(workspace, folder / "streamlit.log", env={"IRDASH_MODE": "deploy"},
                                args=("--secrets.files", str(secrets_file)), port=port)
    yield url
    stop(proc)


def idle(page) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=TIMEOUT_MS)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=TIMEOUT_MS)
    page.wait_for_selector("h1", timeout=TIMEOUT_MS)


def text_of(page) -> str:
    return page.locator("[data-testid='stApp']").inner_text()


def sign_in(browser, server: str, email: str):
    """A new browser context signed in as ``email`` through the provider's authorize page."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(server)
    idle(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/oauth2/authorize.*"))
    page.fill("input[name='sub']", email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(re.escape(server) + r"/?(\?.*)?$"))
    idle(page)
    return context, page


def assert_nothing_of_the_other_client(text: str, where: str) -> None:
    for word in OTHER_SECRETS:
        assert word.lower() not in text.lower(), f"{where}: shows {word!r}"


def test_a_signed_out_visitor_sees_only_the_sign_in_page(browser, deployed, output_path):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        for path in PAGES:
            for query in ("", f"?client={OTHER_ID}"):
                page.goto(f"{deployed}/{path}{query}")
                idle(page)
                text = text_of(page)
                assert page.get_by_role("button", name="Sign in").is_visible(), path
                assert "Sign in to see" in text
                for word in ("Auxer", "AXGI", "Coverage", "Activities", *OTHER_SECRETS):
                    assert word.lower() not in text.lower(), f"{path}{query}: signed out, shows {word!r}"
                assert not page.locator("[data-testid='stSidebarNav']").count()
        page.screenshot(path=str(Path(output_path) / "signed-out.png"))
    finally:
        context.close()


def test_an_executive_sees_their_company_only_on_every_page_export_report_and_url(browser, deployed, workspace,
                                                                                  output_path):
    context, page = sign_in(browser, deployed, EXECUTIVE)
    try:
        for path in PAGES:
            page.goto(f"{deployed}/{path}")
            idle(page)
            text = text_of(page)
            assert "not available" not in text.lower(), path
            assert path != "overview" or "AXGI" in text  # the executive's own company is there
            assert_nothing_of_the_other_client(text, path)
            assert not page.locator("[data-testid='stException']").count(), path
            page.screenshot(path=str(Path(output_path) / f"executive-{path}.png"), full_page=True)
            page.goto(f"{deployed}/{path}?client={OTHER_ID}")
            idle(page)
            text = text_of(page)
            assert "not available" in text.lower(), path
            assert_nothing_of_the_other_client(text, f"{path}?client={OTHER_ID}")
            assert not page.locator("[data-testid='stDownloadButton']").count(), path
        page.goto(f"{deployed}/activities?ticker={OTHER_TICKER}")
        idle(page)
        assert "not available" in text_of(page).lower()

        page.goto(f"{deployed}/activities")
        idle(page)
        with page.expect_download() as info:
            page.get_by_role("button", name="Export CSV").click()
        csv = Path(output_path) / info.value.suggested_filename
        info.value.save_as(csv)
        exported = csv.read_text()
        assert "auxer" in exported.lower() or "AXGI" in info.value.suggested_filename
        assert_nothing_of_the_other_client(exported, "activities CSV")

        page.goto(f"{deployed}/roi-report")
        idle(page)
        with page.expect_download() as info:
            page.get_by_role("button", name="PDF report").click()
        pdf = Path(output_path) / info.value.suggested_filename
        info.value.save_as(pdf)
        assert pdf.read_bytes()[:5] == b"%PDF-"
        if not shutil.which("pdftotext"):
            pytest.fail("pdftotext is missing: `make test` installs poppler-utils (or apt-get install poppler-utils)")
        report = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True,
                                timeout=120).stdout
        assert "Auxer" in report
        assert_nothing_of_the_other_client(report, "PDF report")
    finally:
        context.close()
    rows = access.audit_log(Store(workspace), limit=1000)
    mine = rows[rows["email"] == EXECUTIVE]
    assert "sign-in" in set(mine["action"])
    viewed = mine[mine["action"] == "view"]
    assert set(viewed["client_id"].dropna()) == {"auxer"}
    assert {"Overview", "Engagement", "ROI report"} <= set(viewed["detail"])
    assert (mine["action"] == "denied").sum() >= len(PAGES)  # each ?client=zephyr was refused and recorded


def test_an_analyst_cannot_edit(browser, deployed, workspace, output_path, tmp_path):
    before = Store(workspace).activities("auxer")
    context, page = sign_in(browser, deployed, ANALYST)
    try:
        page.goto(f"{deployed}/data")
        idle(page)
        text = text_of(page)
        assert "reads only" in text
        for control in ("Load from yfinance", "Save client", "Load CSV", "Save user"):
            assert not page.get_by_role("button", name=control).count(), control
        assert "Users and access" not in text and "Audit log" not in text

        # Activities: no editor, no import, no save; a read-only line instead (the writes are also
        # refused below the page: tests/test_access.py)
        page.goto(f"{deployed}/activities")
        idle(page)
        page.get_by_text("Read-only", exact=False).first.wait_for(state="visible")
        assert not page.get_by_text("Import activities from CSV").count()
        assert not page.get_by_role("button", name="Save changes").count()
        page.screenshot(path=str(Path(output_path) / "analyst-activities-read-only.png"), full_page=True)
    finally:
        context.close()
    pd.testing.assert_frame_equal(Store(workspace).activities("auxer"), before)
    rows = access.audit_log(Store(workspace), limit=1000)
    assert ((rows["email"] == ANALYST) & (rows["action"] == "sign-in")).any()


def test_an_address_that_is_no_user_gets_nothing(browser, deployed, workspace):
    context, page = sign_in(browser, deployed, OUTSIDER)
    try:
        text = text_of(page)
        assert "has no access to this workspace" in text
        for word in ("Auxer", "AXGI", *OTHER_SECRETS):
            assert word.lower() not in text.lower()
        assert page.get_by_role("button", name="Sign out").is_visible()
    finally:
        context.close()
    rows = access.audit_log(Store(workspace), limit=1000)
    assert ((rows["email"] == OUTSIDER) & (rows["action"] == "denied")).any()


def test_a_consultant_sees_the_audit_log_with_the_rows_and_signs_out(browser, deployed, workspace, output_path):
    context, page = sign_in(browser, deployed, CONSULTANT)
    try:
        page.goto(f"{deployed}/data")
        idle(page)
        page.get_by_text("Audit log").first.wait_for(state="visible")
        text = text_of(page)
        assert "Users and access" in text
        assert "Nothing recorded yet" not in text  # the table of rows is drawn (on a canvas) instead
        assert_nothing_of_the_other_client(text, "consultant's Data page")
        page.screenshot(path=str(Path(output_path) / "consultant-data.png"), full_page=True)
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(re.compile(r".*/oauth2/end_session.*"))  # the provider's end-session form
        page.get_by_role("button", name="End session").click()
        page.wait_for_url(re.compile(re.escape(deployed) + r"/.*"))
        page.goto(f"{deployed}/data")
        idle(page)
        page.get_by_role("button", name="Sign in").wait_for(state="visible")  # signed out for real
        assert "Audit log" not in text_of(page)
    finally:
        context.close()
    rows = access.audit_log(Store(workspace), limit=1000)
    mine = rows[rows["email"] == CONSULTANT]
    assert {"sign-in", "view", "sign-out"} <= set(mine["action"])
    assert set(mine.loc[mine["action"] == "view", "detail"]) >= {"Overview", "Data"}
