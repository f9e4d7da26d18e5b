"""The web UI in a real headless Chromium against a real glaas-server on loopback: pages load
without console errors, links between artifact, job and session pages work, search finds what
was registered, the lineage picture has a node per job and artifact, private records are "Not
found" to everyone else, and a screenshot of each page is kept for a person to look at
(set GLAAS_WEB_SCREENSHOTS=DIR to also copy them there, e.g. docs/screenshots)."""
from __future__ import annotations

import datetime
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from glaas.testing import GlaasServer
from tests.glaas.web_support import PASSWORD, Browser, Lineage, api, chromium, needs_browser, pipeline_batch  # noqa: F401

pytestmark = needs_browser


@dataclass
class Site:
    server: GlaasServer
    public: Lineage
    private: Lineage   # registered privately by ada, shared with cy
    ada: str
    bob: str
    cy: str
    shots: Path

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def site(glaas_server: GlaasServer, tmp_path_factory) -> Site:
    """Two users and two 3-job pipelines (one public, one ada's private) on the shared server
    (SQLite, then PostgreSQL): fresh names and hashes, so other tests' records do not matter."""
    tag = secrets.token_hex(4)
    ada, bob, cy = f"ada{tag}", f"bob{tag}", f"cy{tag}"
    for user in (ada, bob, cy):
        glaas_server.add_user(user, PASSWORD)
    batch, public = pipeline_batch(tag, "public")
    batch["labels"] = [{"entity_kind": "artifact", "entity_key": public.artifacts["model.pt"],
                        "metadata": {"stage": "baseline", "metrics": {"acc": 0.93}}}]
    status, body = api(glaas_server.url, "POST", "/api/v1/lineage", batch)
    assert status == 200, body
    batch, private = pipeline_batch(tag, "private", scope="private")
    batch["share_with"] = [cy]
    status, body = api(glaas_server.url, "POST", "/api/v1/lineage", batch, token=glaas_server.token(ada))
    assert status == 200 and body["data"]["scope"] == "private", body
    return Site(server=glaas_server, public=public, private=private, ada=ada, bob=bob, cy=cy,
                shots=tmp_path_factory.mktemp("screenshots"))


@pytest.fixture
def browser(chromium, site: Site) -> Browser:
    chromium.delete_all_cookies()
    chromium.get_log("browser")  # drop what earlier tests left
    return Browser(chromium, site.url, site.shots)


def keep(site: Site, browser: Browser, name: str) -> None:
    """Screenshot the page; also into $GLAAS_WEB_SCREENSHOTS when set."""
    path = browser.screenshot(name)
    assert path.stat().st_size > 5000
    if os.environ.get("GLAAS_WEB_SCREENSHOTS"):
        target = Path(os.environ["GLAAS_WEB_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)


def test_every_page_loads_without_console_errors(site: Site, browser: Browser) -> None:
    lin = site.public
    pages = {
        "search": ("/", "Recently registered"),
        "search-results": (f"/search?q={lin.tag}", "Results"),
        "artifact": (f"/artifact/{lin.artifacts['model.pt']}", "roarctl reproduce"),
        "job": (f"/job/{lin.jobs['train']}", "python train.py"),
        "session": (f"/session/{lin.session}", "Jobs"),
        "dag": (f"/dag/{lin.session}", "Session DAG"),
        "login": ("/login", "Log in"),
    }
    for name, (path, expected) in pages.items():
        browser.open(path)
        assert expected in browser.text(), name
        assert browser.console_errors() == [], name
        keep(site, browser, name)


def test_artifact_page_shows_its_facts_and_a_copyable_reproduce_command(site: Site, browser: Browser) -> None:
    model = site.public.artifacts["model.pt"]
    browser.open(f"/artifact/{model[:10]}")  # a unique prefix finds it too
    assert browser.find("#artifact-hash").text == model
    facts = browser.find("#facts").text
    assert "5.1 MiB" in facts and "5,400,000 bytes" in facts and "models/model.pt" in facts
    assert browser.find("#reproduce-command").text == f"roarctl reproduce {model} --run"
    checklist = browser.find("#checklist").text
    assert "Reproducibility — " in checklist and "code committed to git" in checklist
    assert "runtime captured (interpreter + packages)" in checklist
    labels = browser.find("#labels").text
    assert "stage" in labels and "baseline" in labels and "metrics.acc" in labels and "0.93" in labels
    button = browser.find("#copy-reproduce")
    button.click()
    # The script ran (what lands on the clipboard is the browser's business).
    WebDriverWait(browser.driver, 10).until(lambda _: button.text == "Copied")
    assert browser.console_errors() == []


def test_links_lead_from_artifact_to_job_to_session_to_dag_and_back(site: Site, browser: Browser) -> None:
    lin = site.public
    browser.open(f"/artifact/{lin.artifacts['model.pt']}")
    browser.follow(f'#facts a[href="/job/{lin.jobs["train"]}"]')
    assert browser.path() == f"/job/{lin.jobs['train']}"
    # The command as a shell needs it: the argument with a space is quoted.
    assert browser.find("#job-command").text == "python train.py --epochs 3 --note 'first run'"
    job_facts = browser.find("#facts").text
    assert "NVIDIA H200" in job_facts and "Linux 6.1" in job_facts and "main" in job_facts
    assert "torch" in browser.find("#packages").text
    browser.follow(f'#inputs a[href="/artifact/{lin.artifacts["clean.csv"]}"]')
    assert browser.path() == f"/artifact/{lin.artifacts['clean.csv']}"
    browser.follow(f'#consumers a[href="/job/{lin.jobs["train"]}"]')
    browser.follow(f'#facts a[href="/session/{lin.session}"]')
    assert browser.path() == f"/session/{lin.session}"
    assert len(browser.find_all("#jobs tr")) == 1 + 3
    browser.follow("#dag-link")
    assert browser.path() == f"/dag/{lin.session}"
    # A node of the picture is a link: open the evaluate job from it.
    browser.follow(f'#dag svg a[*|href="/job/{lin.jobs["evaluate"]}"]')
    assert browser.path() == f"/job/{lin.jobs['evaluate']}"
    assert browser.console_errors() == []


def _svg_nodes(browser: Browser) -> dict[str, list[str]]:
    """The lineage picture's nodes by kind, each as the page it links to."""
    pairs = browser.driver.execute_script(
        "return Array.from(document.querySelectorAll('#dag svg g.node')).map(n => "
        "[n.classList.contains('job') ? 'job' : 'artifact', n.querySelector('a').getAttribute('xlink:href')])")
    found: dict[str, list[str]] = {"job": [], "artifact": []}
    for kind, href in pairs:
        found[kind].append(href.lstrip("/"))
    return found


def test_lineage_pictures_have_a_node_per_job_and_artifact(site: Site, browser: Browser) -> None:
    lin = site.public
    browser.open(f"/dag/{lin.session}")
    nodes = _svg_nodes(browser)
    assert sorted(nodes["job"]) == sorted(f"job/{uid}" for uid in lin.jobs.values())
    assert sorted(nodes["artifact"]) == sorted(f"artifact/{h}" for h in lin.artifacts.values())
    # Left to right: the first step's box is left of the last step's.
    xs = {uid: browser.find(f'#dag svg a[*|href="/job/{uid}"]').rect["x"] for uid in lin.jobs.values()}
    assert xs[lin.jobs["prepare"]] < xs[lin.jobs["train"]] < xs[lin.jobs["evaluate"]]
    # The model's page: its upstream (prepare, train and their files) and its consumer (evaluate).
    browser.open(f"/artifact/{lin.artifacts['model.pt']}")
    nodes = _svg_nodes(browser)
    assert sorted(nodes["job"]) == sorted(f"job/{uid}" for uid in lin.jobs.values())
    assert sorted(nodes["artifact"]) == sorted(f"artifact/{lin.artifacts[f]}"
                                               for f in ("raw.csv", "config.yaml", "clean.csv", "model.pt"))
    assert len(browser.find_all("#dag svg g.edge")) == 6
    keep(site, browser, "artifact-dag")


def test_search_finds_what_was_registered(site: Site, browser: Browser) -> None:
    lin = site.public
    browser.open("/search")
    box = browser.find("#q")
    box.send_keys(f"evaluate {lin.tag}")
    browser.follow("#search-submit")
    hits = browser.find_all("#results tr.hit")
    assert [h.find_element("css selector", "a").get_attribute("href").rsplit("/", 1)[1] for h in hits] == [lin.jobs["evaluate"]]
    # Filters from the query layer, as a shareable URL: jobs that used torch 2.5.1.
    browser.open(f"/search?q={lin.tag}&kind=job&package=torch%3D%3D2.5.1")
    uids = {a.get_attribute("href").rsplit("/", 1)[1] for a in browser.find_all("#results tr.hit-job td:nth-child(2) a")}
    assert uids == {lin.jobs["train"], lin.jobs["evaluate"]}
    browser.open(f"/search?q={lin.tag}&kind=artifact&file_type=pt")
    hashes = {a.get_attribute("href").rsplit("/", 1)[1] for a in browser.find_all("#results tr.hit-artifact a")}
    assert hashes == {lin.artifacts["model.pt"]}
    browser.open(f"/search?q={lin.tag}&label=stage%3Dbaseline")
    assert [a.get_attribute("href").rsplit("/", 1)[1] for a in browser.find_all("#results tr.hit a")] == [
        lin.artifacts["model.pt"]]
    today = datetime.datetime.now(datetime.timezone.utc).date()
    browser.open(f"/search?q={lin.tag}&kind=job&since={today}&until={today}")
    assert len(browser.find_all("#results tr.hit-job")) >= 3
    browser.open(f"/search?q={lin.tag}&until={today - datetime.timedelta(days=1)}")
    assert browser.find_all("#no-results")
    browser.open("/search?q=nosuchwordanywhere")
    assert browser.find("#no-results").text == "Nothing registered here matches."
    browser.open("/search?since=yesterday")
    assert "must look like 2026-01-31" in browser.text()
    assert browser.console_errors() == [] or all("400" in e for e in browser.console_errors())


def test_search_pages_by_cursor(site: Site, browser: Browser) -> None:
    seen: list[str] = []
    browser.open(f"/search?q={site.public.tag}&kind=artifact&limit=2")
    pages = 0
    while True:
        pages += 1
        seen += [a.get_attribute("href").rsplit("/", 1)[1] for a in browser.find_all("#results tr.hit-artifact a")]
        if not browser.find_all("#next-page"):
            break
        browser.follow("#next-page")
    assert sorted(seen) == sorted(site.public.artifacts.values())  # no repeats, none missed
    assert pages == 3


def test_private_records_are_not_found_to_others(site: Site, browser: Browser) -> None:
    priv = site.private
    paths = [f"/artifact/{priv.artifacts['model.pt']}", f"/job/{priv.jobs['train']}", f"/session/{priv.session}",
             f"/dag/{priv.session}"]
    for path in paths:  # anonymous
        browser.open(path)
        assert browser.find("#not-found h1").text == "Not found", path
        assert api(site.url, "GET", path)[0] == 404
    browser.open("/search?q=train&kind=job")
    assert priv.jobs["train"] not in browser.driver.page_source
    browser.login(site.bob)
    for path in paths:
        browser.open(path)
        assert browser.find("#not-found h1").text == "Not found", path
    keep(site, browser, "not-found")
    for user in (site.ada, site.cy):  # the owner, and the user it is shared with
        browser.logout()
        browser.login(user)
        for path in paths:
            browser.open(path)
            assert not browser.find_all("#not-found"), (user, path)
        assert browser.find_all("#dag svg g.node")


def test_user_page_creates_and_revokes_tokens(site: Site, browser: Browser) -> None:
    browser.login(site.ada)
    browser.follow("#nav-user")
    assert browser.path() == f"/user/{site.ada}"
    browser.find("#token-name").send_keys("laptop")
    browser.follow("#token-create")
    token = browser.find("#new-token-value").text
    assert token.startswith("glaas_")
    status, body = api(site.url, "GET", "/api/v1/auth/whoami", token=token)
    assert status == 200 and body["data"]["user"] == site.ada and body["data"]["token_name"] == "laptop"
    keep(site, browser, "user")
    assert browser.console_errors() == []
    browser.open(f"/user/{site.ada}")
    assert token not in browser.driver.page_source  # shown once
    row = [r for r in browser.find_all("tr.token-row") if "laptop" in r.text][0]
    browser.follow(row.find_element("css selector", "button.revoke"))
    assert api(site.url, "GET", "/api/v1/auth/whoami", token=token)[0] == 401
    row = [r for r in browser.find_all("tr.token-row") if "laptop" in r.text][0]
    assert "revoked" in row.text
    # Someone else's user page does not exist for bob.
    browser.logout()
    browser.login(site.bob)
    browser.open(f"/user/{site.ada}")
    assert browser.find("#not-found h1").text == "Not found"


def test_logging_out_ends_the_session(site: Site, browser: Browser) -> None:
    browser.login(site.bob)
    cookie = browser.driver.get_cookie("glaas_session")["value"]
    browser.follow("#nav-logout")
    assert browser.find_all("#nav-login")
    # The old cookie no longer logs anyone in: its token was revoked, not just forgotten.
    browser.driver.add_cookie({"name": "glaas_session", "value": cookie, "path": "/"})
    browser.open("/")
    assert browser.find_all("#nav-login") and not browser.find_all("#nav-user")


def test_wrong_password_is_refused(site: Site, browser: Browser) -> None:
    browser.open("/login")
    browser.find("#username").send_keys(site.ada)
    browser.find("#password").send_keys("not the password")
    browser.follow("#login-submit")
    assert browser.find("#login-error").text == "Wrong user name or password."
    assert not browser.find_all("#nav-user")


def test_device_login_is_approved_in_the_browser(site: Site, browser: Browser) -> None:
    status, body = api(site.url, "POST", "/api/v1/auth/device/start", {"client_id": "roarctl", "scope": "read write"})
    assert status == 200, body
    start = body["data"]
    status, body = api(site.url, "POST", "/api/v1/auth/device/token", {"device_code": start["device_code"]})
    assert status == 400 and body["error"]["code"] == "authorization_pending"
    # The person opens the URL roarctl printed, logs in, sees the code filled in, approves.
    browser.driver.get(start["verification_uri_complete"])
    assert browser.path().startswith("/login?next=")
    browser.find("#username").send_keys(site.ada)
    browser.find("#password").send_keys(PASSWORD)
    browser.follow("#login-submit")
    assert browser.path().startswith("/device")
    assert browser.find("#user-code").get_attribute("value") == start["user_code"]
    keep(site, browser, "device")
    browser.follow("#device-approve")
    assert "Approved" in browser.find("#device-result").text
    assert browser.console_errors() == []
    status, body = api(site.url, "POST", "/api/v1/auth/device/token", {"device_code": start["device_code"]})
    assert status == 200, body
    token = body["data"]["access_token"]
    status, body = api(site.url, "GET", "/api/v1/auth/whoami", token=token)
    assert status == 200 and body["data"]["user"] == site.ada


def test_a_wrong_device_code_is_one_sentence(site: Site, browser: Browser) -> None:
    browser.login(site.bob)
    browser.open("/device")
    browser.find("#user-code").send_keys("BCDF-GHJK")
    browser.follow("#device-approve")
    assert browser.find("#device-error").text == "That code is unknown or already used; start the login again."


def _csrf_pair(url: str) -> tuple[str, str]:
    """A real CSRF cookie and its form token, as a browser gets them from the login page."""
    import urllib.request
    with urllib.request.urlopen(url + "/login") as response:
        cookie = response.headers["set-cookie"].split(";", 1)[0]
        page = response.read().decode()
    return cookie, re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_forms_without_a_valid_csrf_token_are_refused(site: Site) -> None:
    cookie, token = _csrf_pair(site.url)
    good = {"username": site.ada, "password": PASSWORD, "next": "/"}
    for form, cookies in (
        (good, cookie),                                     # no token
        ({**good, "csrf_token": "0" * 64}, cookie),        # a made-up token
        ({**good, "csrf_token": token}, None),              # a token without its cookie
        ({**good, "csrf_token": token}, "glaas_csrf=another-nonce-of-forty-characters-xx"),
    ):
        status, page = api(site.url, "POST", "/login", form=form, cookies=cookies)
        assert status == 403 and "Form refused" in page
    for path in ("/logout", f"/user/{site.ada}/tokens", "/device"):
        status, _ = api(site.url, "POST", path, form={"user_code": "BCDF-GHJK"}, cookies=cookie)
        assert status == 403, path
    # The same form with its token is accepted (a redirect after logging in).
    status, _ = api(site.url, "POST", "/login", form={**good, "csrf_token": token}, cookies=cookie)
    assert status == 303


def test_login_attempts_are_rate_limited(make_server) -> None:
    server = make_server(env={"GLAAS_LOGIN_PER_MINUTE": "3"})
    cookie, token = _csrf_pair(server.url)
    form = {"username": "nobody", "password": "wrong password", "csrf_token": token}
    statuses = [api(server.url, "POST", "/login", form=form, cookies=cookie)[0] for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    status, page = api(server.url, "POST", "/login", form=form, cookies=cookie)
    assert status == 429 and "Too many login attempts from this address" in page


def test_client_supplied_keys_are_escaped_in_links_and_pictures(site: Site) -> None:
    """uids and session hashes are whatever a client sent: they stay text, never markup."""
    batch, lin = pipeline_batch(site.public.tag, "odd")
    odd = 'x"><script>alert(1)</script>'
    for job in batch["jobs"]:
        job["uid"] = odd + job["uid"][:6]
        job["command"] = odd
    status, body = api(site.url, "POST", "/api/v1/lineage", batch)
    assert status == 200, body
    status, page = api(site.url, "GET", f"/dag/{lin.session}")
    assert status == 200 and "<script>alert" not in page
    assert 'href="/job/x%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E' in page
    status, page = api(site.url, "GET", f"/session/{lin.session}")
    assert status == 200 and "<script>alert" not in page and "&lt;script&gt;alert(1)" in page


def test_an_unknown_address_is_the_not_found_page_in_a_browser_and_json_for_the_api(site: Site, browser: Browser) -> None:
    browser.open("/no/such/page")
    assert browser.find("#not-found h1").text == "Not found"
    status, body = api(site.url, "GET", "/no/such/page")  # a client asking for JSON
    assert status == 404 and body["success"] is False


def test_an_ambiguous_prefix_lists_the_candidates(site: Site) -> None:
    prefix = site.public.tag  # 8 hex digits no other test's artifacts start with
    hashes = [prefix + "0" * 56, prefix + "1" * 56]
    status, body = api(site.url, "POST", "/api/v1/lineage", {"artifacts": [{"hash": h, "size": 1} for h in hashes]})
    assert status == 200, body
    status, page = api(site.url, "GET", f"/artifact/{prefix}")
    assert status == 409 and "More than one match" in page
    assert all(f'href="/artifact/{h}"' in page for h in hashes)
    status, page = api(site.url, "GET", f"/artifact/{hashes[1][:10]}")
    assert status == 200 and hashes[1] in page


def test_a_denied_device_gets_no_token(site: Site, browser: Browser) -> None:
    start = api(site.url, "POST", "/api/v1/auth/device/start", {"client_id": "roarctl"})[1]["data"]
    browser.login(site.bob)
    browser.driver.get(start["verification_uri_complete"])
    browser.follow("#device-deny")
    assert "Denied" in browser.find("#device-result").text
    status, body = api(site.url, "POST", "/api/v1/auth/device/token", {"device_code": start["device_code"]})
    assert status == 400 and body["error"]["code"] == "access_denied"
