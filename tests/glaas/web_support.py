"""What the web UI's browser tests share: a real headless Chromium (Debian's chromium and
chromium-driver, driven by Selenium), a small registered lineage, and users with tokens.

Chromium runs with a fresh profile and every background service off: the machine has no
network, and a browser reaching for one would stall or log errors that are not the page's.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--disable-extensions", "--window-size=1280,900")
PASSWORD = "correct horse battery"

needs_browser = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="headless Chromium is not installed (Debian chromium + chromium-driver: scripts/setup.sh --test)")


def api(base_url: str, method: str, path: str, body: Any = None, token: str | None = None,
        form: dict[str, str] | None = None, cookies: str | None = None) -> tuple[int, Any]:
    """One HTTP request to the server; (status, parsed JSON body or text)."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        from urllib.parse import urlencode
        data = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if cookies:
        headers["Cookie"] = cookies
    request = urllib.request.Request(base_url + path, data=data, method=method, headers=headers)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def digest(text: str) -> str:
    """A stand-in BLAKE3 digest (64 hex) for test content."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Lineage:
    """A registered 3-job pipeline: raw.csv -> @1 prepare -> clean.csv -> @2 train -> model.pt
    -> @3 evaluate -> metrics.json (train also reads config.yaml)."""

    session: str
    jobs: dict[str, str]        # step name -> uid
    artifacts: dict[str, str]   # file name -> hash
    tag: str = ""


def pipeline_batch(tag: str, variant: str, scope: str | None = None) -> tuple[dict[str, Any], Lineage]:
    """The pipeline under runs/<tag>/<variant>/ (the tag makes it findable among other tests' records)."""
    files = {name: digest(f"{tag}:{variant}:{name}") for name in ("raw.csv", "config.yaml", "clean.csv", "model.pt", "metrics.json")}
    session = digest(f"{tag}:{variant}:session")
    steps = [("prepare", ["python", "prepare.py", "--input", "data/raw.csv"], ["raw.csv"], ["clean.csv"]),
             ("train", ["python", "train.py", "--epochs", "3", "--note", "first run"], ["clean.csv", "config.yaml"], ["model.pt"]),
             ("evaluate", ["python", "evaluate.py", "models/model.pt"], ["model.pt"], ["metrics.json"])]
    where = {name: f"runs/{tag}/{variant}/{path}" for name, path in (
        ("raw.csv", "data/raw.csv"), ("config.yaml", "conf/config.yaml"), ("clean.csv", "data/clean.csv"),
        ("model.pt", "models/model.pt"), ("metrics.json", "out/metrics.json"))}
    sizes = {"raw.csv": 2048, "config.yaml": 120, "clean.csv": 1900, "model.pt": 5_400_000, "metrics.json": 90}
    now = time.time()
    git = {"repo": "https://git.example.org/acme/pipeline.git", "commit": digest(f"{tag}:{variant}:commit")[:40],
           "branch": "main", "dirty": False}
    jobs = []
    uids = {}
    for i, (name, argv, inputs, outputs) in enumerate(steps, start=1):
        uid = digest(f"{tag}:{variant}:{name}")[:16]
        uids[name] = uid
        jobs.append({
            "uid": uid, "session_hash": session, "command": " ".join(argv), "argv": argv, "cwd": f"/home/ada/runs/{tag}",
            "timestamp": now - 600 + 60 * i, "duration_seconds": 12.5 * i, "exit_code": 0, "step_number": i,
            "git": git, "gpu_model": "NVIDIA H200" if name == "train" else None,
            "runtime": {"os": "Linux 6.1", "python": "3.11.2", "cpu": "AMD EPYC 9654",
                        "gpus": [{"name": "NVIDIA H200"}] if name == "train" else []},
            "packages": {"numpy": "2.1.0", **({"torch": "2.5.1"} if name != "prepare" else {"pandas": "2.2.3"})},
            "inputs": [{"hash": files[f], "path": where[f], "size": sizes[f]} for f in inputs],
            "outputs": [{"hash": files[f], "path": where[f], "size": sizes[f]} for f in outputs],
        })
    batch = {"sessions": [{"hash": session, "git_repo": git["repo"], "git_commit": git["commit"], "git_branch": "main"}],
             "jobs": jobs,
             "artifacts": [{"hash": files[f], "size": sizes[f], "path": where[f]} for f in files]}
    if scope:
        batch["scope"] = scope
    return batch, Lineage(session=session, jobs=uids, artifacts=files, tag=tag)


class Browser:
    """A Chromium page with the checks the tests make: the console, the status, screenshots."""

    def __init__(self, driver: Any, base_url: str, shots: Path) -> None:
        self.driver = driver
        self.base_url = base_url
        self.shots = shots

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def console_errors(self) -> list[str]:
        """SEVERE entries of the browser log since the last call (the log is read once)."""
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def follow(self, target: Any) -> None:
        """Clicks a link or submit button (a CSS selector or an element) and waits for the next page."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        element = self.find(target) if isinstance(target, str) else target
        old_page = self.find("html")
        element.click()

        def left_old_page(_driver: Any) -> bool:
            try:
                old_page.is_enabled()  # raises once the old document is gone
                return False
            except WebDriverException:
                return True

        wait = WebDriverWait(self.driver, 30)
        wait.until(left_old_page)
        wait.until(lambda d: d.execute_script("return document.readyState") == "complete")

    def text(self) -> str:
        return self.find("body").text

    def path(self) -> str:
        return self.driver.current_url[len(self.base_url):]

    def screenshot(self, name: str) -> Path:
        """The whole page (not only the window) as a PNG in the screenshots directory."""
        width, height = self.driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 1280, "height": min(int(height), 4000), "deviceScaleFactor": 1, "mobile": False})
        try:
            path = self.shots / f"{name}.png"
            self.driver.save_screenshot(str(path))
        finally:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        return path

    def login(self, user: str, password: str = PASSWORD) -> None:
        self.open("/login")
        self.find("#username").send_keys(user)
        self.find("#password").send_keys(password)
        self.follow("#login-submit")
        assert [e.text for e in self.find_all("#nav-user")] == [user], self.text()

    def logout(self) -> None:
        self.driver.delete_all_cookies()


def start_chromium(profile: str) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def chromium():
    profile = tempfile.mkdtemp(prefix="glaas-chromium-")
    driver = start_chromium(profile)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)

