"""The classroom app in a real browser: `spsim app` serves the page, Debian's Chromium (headless,
driven by Playwright) opens it, moves a slider, resets, steps, and checks the view and the plots.

Needs /usr/bin/chromium (`.ci/run` installs it). Never runs `playwright install`: no browser is
downloaded. Without Chromium or Playwright the test is skipped, except under CI, where it fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import import_or_skip
from spsim.model.params import Config

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
REPO = Path(__file__).resolve().parents[1]

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run should have installed Debian's chromium", pytrace=False)
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)

sync_api = import_or_skip("playwright.sync_api", "pip install the dev extra (playwright)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """`spsim app` on a free localhost port; waits (up to 90 s) until the page answers."""
    port = _free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "spsim", "app", "--host", "127.0.0.1", "--port", str(port),
                                 "--configs", str(REPO / "configs")], cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"spsim app exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"spsim app did not answer on {url} within 90 s:\n{log.read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    # stopping `spsim app` stops the server: nothing is left listening on the port
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "a server outlived `spsim app`"


@pytest.fixture(scope="module")
def page(app_url):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        failed: list[str] = []
        pg.on("requestfailed", lambda req: failed.append(req.url))
        pg.set_default_timeout(60_000)
        pg.goto(app_url)
        pg.get_by_role("button", name="Step", exact=True).wait_for()
        pg.locator(".spsim-summary").wait_for()
        pg.failed_requests = failed
        yield pg
        browser.close()


def _images(pg):
    """The two kept figures (network view, live plots) on the first tab: their blob URLs and pixels."""
    imgs = pg.locator(".vue-grid-item img")
    assert imgs.count() == 2
    return [(imgs.nth(i).get_attribute("src"), imgs.nth(i).screenshot()) for i in range(2)]


def _wait_text(pg, selector: str, text: str):
    pg.locator(selector).filter(has_text=text).first.wait_for()


def test_page_loads_everything_from_this_machine(page):
    assert page.failed_requests == []  # scripts, styles and fonts all come from the local server
    assert page.locator(".spsim-summary").inner_text().startswith("Week ")
    assert page.get_by_text("spsim classroom").count() >= 1


def test_preset_chooser_lists_the_config_files_and_no_service(page):
    page.get_by_role("button", name="Local model (preset) default").click()
    options = page.get_by_role("option")
    options.first.wait_for()
    names = {t.strip() for t in options.all_inner_texts()}
    assert {"default", "no social prescribing"} <= names
    page.keyboard.press("Escape")


def test_slider_reset_and_step_change_the_view_and_the_plots(page):
    town0, plots0 = _images(page)
    assert _images(page) == [town0, plots0]  # nothing changes by itself: the comparisons below mean something
    settings0 = page.locator(".spsim-settings").inner_text()
    per_fte = Config().link_workers.caseload_per_fte  # the default preset keeps the calibrated caseload
    assert f"0.05 FTE link work ({round(0.05 * per_fte)} caseload places)" in settings0

    slider = page.get_by_role("slider", name="Link-worker capacity (FTE)")
    slider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert slider.get_attribute("aria-valuenow") == "0.2"

    page.get_by_role("button", name="Reset", exact=True).click()
    _wait_text(page, ".spsim-settings", f"0.2 FTE link work ({round(0.2 * per_fte)} caseload places)")
    town1, plots1 = _images(page)
    assert town1[0] != town0[0] and town1[1] != town0[1]  # the link worker now shows 0/6 places

    step = page.get_by_role("button", name="Step", exact=True)
    for week in (1, 2, 3):
        step.click()
        _wait_text(page, ".spsim-summary", f"Week {week}:")
    page.get_by_text("Time: 3.0").wait_for()
    town3, plots3 = _images(page)
    assert town3[0] != town1[0] and town3[1] != town1[1]  # the network view was redrawn
    assert plots3[0] != plots1[0] and plots3[1] != plots1[1]  # three weeks of lines in the plots
    assert plots3[1] != plots0[1]
