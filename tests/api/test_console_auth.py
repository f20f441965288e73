"""Signing in to the staff console in a real Chromium against the real API: sign-in and
sign-out, a wrong password, failed sign-ins limited and logged without the password or the
address, CSRF refused, the idle timeout, each login with its own scopes, bearer tokens
still working, and `hubsense user add|list|remove`."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from api.sessions import COOKIE, pseudonym
from devstack.runner import demo_account
from hubsense.accounts import Accounts
from hubsense.layout import Layout
from tests.api.conftest import open_page
from tests.api.console_page import PASSWORD, TOKEN, Console, console_site, sign_in
from tests.conftest import ROOT
from tests.seeded_reports import seed_and_roll_up

pytestmark = [pytest.mark.services, pytest.mark.browser]


@pytest.fixture
def console(tmp_path: Path, layout: Layout) -> Iterator[Console]:
    with console_site(tmp_path, layout, None, seed_and_roll_up, max_failures=3,
                      idle_timeout_s=600) as c:
        yield c


@contextlib.contextmanager
def session_client(c: Console, user: str = "anna"
                   ) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """An HTTP client signed in as `user`, and the session it got (with its CSRF token)."""
    with httpx.Client(base_url=c.url, timeout=30) as client:
        r = client.post("/staff/api/session", json={"username": user, "password": PASSWORD})
        assert r.status_code == 200, r.text
        yield client, r.json()


def test_sign_in_and_out(browser: Browser, console: Console) -> None:
    page = sign_in(browser, f"{console.url}/staff")
    expect(page.locator("#who")).to_have_text("anna")
    expect(page.locator("#nav a[aria-current=page]")).to_have_text("Overview")
    [cookie] = [c for c in page.context.cookies() if c["name"] == COOKIE]
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (True, "Strict", False)
    page.click("#sign-out")
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#signin-reason")).to_have_text("You are signed out.")
    r = httpx.get(f"{console.url}/staff/api/session", cookies={COOKIE: cookie["value"]})
    assert r.status_code == 401, "the session ended on the server, not only in the page"
    page.context.close()


def test_wrong_password_is_refused(browser: Browser, console: Console) -> None:
    page = sign_in_fails(browser, console, "not-the-password-at-all")
    expect(page.locator("#signin-error")).to_have_text("Wrong username or password.")
    assert not [c for c in page.context.cookies() if c["name"] == COOKIE]
    page.context.close()


def sign_in_fails(browser: Browser, console: Console, password: str, user: str = "anna",
                  lang: str = "en") -> Page:
    page = open_page(browser, f"{console.url}/staff?lang={lang}", {"width": 1366, "height": 768})
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#signin-error")).not_to_be_empty()
    return page


def test_failed_sign_ins_are_limited_and_logged_without_password_or_address(
        browser: Browser, console: Console, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="api.routes.console")
    wrong = "Wrong-Passw0rd-typed-by-anna"
    for _ in range(3):
        r = httpx.post(f"{console.url}/staff/api/session",
                       json={"username": "anna", "password": wrong})
        assert r.status_code in (401, 429)
    # Now even the right password waits: the limit holds per username.
    page = sign_in_fails(browser, console, PASSWORD, lang="sv")
    expect(page.locator("#signin-error")).to_contain_text("För många misslyckade inloggningar")
    r = httpx.post(f"{console.url}/staff/api/session",
                   json={"username": "anna", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # And per client: another username from the same address waits too.
    r = httpx.post(f"{console.url}/staff/api/session",
                   json={"username": "viewer", "password": PASSWORD})
    assert r.status_code == 429
    text = caplog.text
    assert "failed sign-in for " + pseudonym("anna") in text
    assert wrong not in text and PASSWORD not in text and "127.0.0.1" not in text
    assert "anna" not in text.replace(pseudonym("anna"), "")
    page.context.close()


def test_writes_without_the_csrf_token_are_refused(console: Console) -> None:
    with session_client(console) as (client, session):
        csrf_refused(client, session)


def csrf_refused(client: httpx.Client, session: dict[str, str]) -> None:
    event = {"name": "Quiz night", "start": "2026-11-18T18:00", "end": "2026-11-18T20:00"}
    for headers in ({}, {"X-CSRF-Token": "forged-token-0000000000000000"}):
        r = client.post("/api/v1/events", json=event, headers=headers)
        assert (r.status_code, r.json()["detail"]) == \
            (403, "missing or wrong CSRF token; reload the page")
        assert client.delete("/staff/api/session", headers=headers).status_code == 403
    assert client.get("/api/v1/events").json()["count"] == 0, "nothing was written"
    r = client.post("/api/v1/events", json=event, headers={"X-CSRF-Token": session["csrf"]})
    assert r.status_code == 201 and r.json()["start"] == "2026-11-18T18:00:00+01:00"
    r = client.post("/api/v1/checks", json={"zone": "buzz-north", "people": 3},
                    headers={"X-CSRF-Token": session["csrf"]})
    assert r.status_code == 201


def test_idle_session_is_signed_out(browser: Browser, console: Console) -> None:
    now = [1000.0]
    console.api.app.state.sessions.clock = lambda: now[0]
    page = sign_in(browser, f"{console.url}/staff/visits?from=2026-11-17&to=2026-11-18")
    expect(page.locator("#events-table")).to_be_visible()  # the view's requests are done
    # A page refreshing itself does not keep the session alive …
    client_cookie = {COOKIE: next(c["value"] for c in page.context.cookies()
                                  if c["name"] == COOKIE)}
    now[0] += 590
    assert httpx.get(f"{console.url}/staff/api/session", cookies=client_cookie,
                     headers={"X-Hubsense-Refresh": "1"}).status_code == 200
    now[0] += 20  # … 610 s since the person last did something: over the 600 s
    page.click("#nav a[data-page=utilization]")
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#signin-reason")).to_have_text(
        "You were signed out after a while without use. Sign in again.")
    page.context.close()


def test_each_login_has_only_its_own_scopes(browser: Browser, console: Console) -> None:
    page = sign_in(browser, f"{console.url}/staff", user="viewer")
    links = page.locator("#nav a").evaluate_all("els => els.map(e => e.dataset.page)")
    assert links == ["overview", "utilization", "compare", "visits", "acoustics", "accuracy"]
    expect(page.locator("#alerts")).to_contain_text("collector is down")  # without node details
    page.context.close()
    with session_client(console, "viewer") as (client, session), \
            session_client(console, "host") as (host, s2):
        scopes_hold(client, session, host, s2)


def scopes_hold(client: httpx.Client, session: dict[str, str], host: httpx.Client,
                s2: dict[str, str]) -> None:
    csrf = {"X-CSRF-Token": session["csrf"]}
    assert client.get("/api/v1/nodes").status_code == 403
    r = client.post("/api/v1/events", json={"name": "X", "start": "2026-11-18T18:00",
                                             "end": "2026-11-18T19:00"}, headers=csrf)
    assert (r.status_code, r.json()["detail"]) == (403, "this account lacks the 'events:write' "
                                                         "scope")
    assert client.get("/api/v1/reports/visits", params={"from": "2026-11-17",
                                                        "to": "2026-11-18"}).status_code == 200
    assert host.get("/api/v1/nodes").status_code == 200
    assert host.post("/api/v1/checks", json={"zone": "buzz-north", "people": 2},
                     headers={"X-CSRF-Token": s2["csrf"]}).status_code == 201


def test_bearer_tokens_still_work_and_need_no_csrf(console: Console) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = httpx.get(f"{console.url}/api/v1/reports/visits", headers=auth,
                  params={"from": "2026-11-17", "to": "2026-11-18"})
    assert r.status_code == 200 and r.json()["total"] == 92
    r = httpx.post(f"{console.url}/api/v1/events", headers=auth, json={
        "name": "Demo night", "start": "2026-11-18T18:00", "end": "2026-11-18T21:00"})
    assert r.status_code == 201
    assert httpx.get(f"{console.url}/api/v1/reports/visits").status_code == 401


def test_secure_cookie_when_asked(tmp_path: Path, layout: Layout) -> None:
    with console_site(tmp_path, layout, None, None, secure_cookie="always") as c:
        r = httpx.post(f"{c.url}/staff/api/session",
                       json={"username": "anna", "password": PASSWORD})
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie


def test_user_commands_keep_hashes_in_an_owner_only_file(tmp_path: Path) -> None:
    users = tmp_path / "private" / "users.json"
    conf = tmp_path / "hubsense.toml"
    conf.write_text(f'[console]\nusers_file = "{users}"\n')

    def hubsense(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cli", "user", *args, "-c", str(conf)],
                              input=stdin, capture_output=True, text=True, cwd=ROOT,
                              timeout=60, check=False)

    r = hubsense("add", "anna", "--role", "facility", "--role", "hubteam", "--password-stdin",
                 stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert "checks:write events:write nodes:read reports:read" in r.stdout
    assert os.stat(users).st_mode & 0o777 == 0o600
    assert PASSWORD not in users.read_text() and "$argon2id$" in users.read_text()
    weak = hubsense("add", "bo", "--role", "viewer", "--password-stdin", stdin="short\n")
    assert weak.returncode == 2 and "password is shorter than 16" in weak.stderr
    assert hubsense("add", "anna", "--role", "viewer", "--password-stdin",
                    stdin=PASSWORD + "\n").returncode == 2, "no silent replace"
    # A person may choose a passphrase of words; a tab or an edge space is a slip.
    words = "a bicycle in the atrium"
    assert hubsense("add", "cai", "--role", "viewer", "--password-stdin",
                    stdin=words + "\n").returncode == 0
    assert Accounts(users).verify("cai", words) is not None
    for slip in (words + " ", "a bicycle\tin the atrium"):
        r = hubsense("add", "dee", "--role", "viewer", "--password-stdin", stdin=slip + "\n")
        assert r.returncode == 2 and ("space" in r.stderr or "tabs" in r.stderr), r.stderr
    assert hubsense("remove", "cai").returncode == 0
    listed = hubsense("list")
    assert listed.stdout.split()[:2] == ["anna", "facility,hubteam"]
    assert "argon2" not in listed.stdout
    assert hubsense("remove", "anna").returncode == 0
    assert hubsense("list").stdout == ""
    assert hubsense("remove", "anna").returncode == 2


def test_the_demo_account_is_stable_across_starts(tmp_path: Path) -> None:
    users, saved = tmp_path / "users.json", tmp_path / "demo-password"
    first = demo_account(users, saved)
    assert demo_account(users, saved) == first, "a restart keeps the demo's login"
    assert Accounts(users).verify("demo", first) is not None
    assert os.stat(saved).st_mode & 0o777 == 0o600
    Accounts(users).remove("demo")
    again = demo_account(users, saved)
    assert Accounts(users).verify("demo", again) is not None


def test_both_languages_have_the_same_phrases(browser: Browser, console: Console) -> None:
    page = open_page(browser, console.url + "/staff")
    mismatch = page.evaluate("""async () => {
        const { WORDS } = await import('/static/console/words.js');
        const shape = (v) => typeof v === 'function' ? `fn/${v.length}`
            : typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort()
                .map(([k, x]) => [k, shape(x)])) : typeof v;
        const en = JSON.stringify(shape(WORDS.en)), sv = JSON.stringify(shape(WORDS.sv));
        return en === sv ? null : [en, sv];
    }""")
    assert mismatch is None, f"en and sv differ in keys or arguments: {mismatch}"
    page.context.close()
