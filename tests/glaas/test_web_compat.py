"""Lineage registered the way roar-cli 0.4.7 sends it is browsable in the web UI, at the two
links that client prints: <web_url>/artifact/<hash> and <web_url>/dag/<session hash>."""
from __future__ import annotations

from tests.glaas.conftest import fresh_hash, fresh_uid
from tests.glaas.test_compat_api import register_two_jobs
from tests.glaas.web_support import Browser, chromium, needs_browser  # noqa: F401

pytestmark = needs_browser


def test_roar_cli_lineage_is_browsable_at_the_printed_links(glaas_server, chromium, tmp_path) -> None:
    session, uids, a = fresh_hash(), [fresh_uid(), fresh_uid()], [fresh_hash() for _ in range(3)]
    responses = register_two_jobs(glaas_server, session, uids, a)
    assert responses[1].data["url"] == f"{glaas_server.url}/dag/{session}"
    chromium.get_log("browser")
    browser = Browser(chromium, glaas_server.url, tmp_path)

    browser.driver.get(responses[1].data["url"])
    nodes = browser.driver.execute_script(
        "return Array.from(document.querySelectorAll('#dag svg g.node a')).map(a => a.getAttribute('xlink:href'))")
    assert sorted(nodes) == sorted([f"/job/{u}" for u in uids] + [f"/artifact/{h}" for h in a]), browser.text()
    browser.follow(f'#dag svg a[*|href="/artifact/{a[2]}"]')
    assert browser.path() == f"/artifact/{a[2]}"
    assert browser.find("#reproduce-command").text == f"roarctl reproduce {a[2]} --run"
    assert "/w/model.pt" in browser.find("#facts").text
    browser.follow(f'#facts a[href="/job/{uids[1]}"]')
    assert browser.find("#job-command").text == "python train.py"
    assert "12.4" in browser.find("#facts").text  # CUDA from the client's metadata string
    assert browser.console_errors() == []
