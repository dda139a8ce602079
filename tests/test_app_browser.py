"""The app in a real browser: `spsim app` serves the page, Debian's Chromium (headless, driven by
Playwright) opens it, picks a preset, resets, steps and plays the classroom town, and runs a
comparison on the planner tab.

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
from spsim.interfaces.app.presets import preset_levers

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
REPO = Path(__file__).resolve().parents[1]

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run should have installed Debian's chromium", pytrace=False)
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)

sync_api = import_or_skip("playwright.sync_api", "pip install the dev extra (playwright)")
pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`spsim app` on a free localhost port; waits (up to 180 s: the machine may be loaded) until the
    page answers. Yields (url, log file)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "spsim", "app", "--host", "127.0.0.1", "--port", str(port),
                                 "--configs", str(REPO / "configs")], cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
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
                pytest.fail(f"spsim app did not answer on {url} within 180 s:\n{log.read_text()}")
            time.sleep(0.5)
        yield url, log
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
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


def _open(browser, url):
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    failed: list[str] = []
    # a request the page aborts itself (net::ERR_ABORTED: Solara swapping a stylesheet while it loads,
    # about one page load in five) is not a failure to serve it; anything else is, and so is an error
    # status or a request to another host
    pg.on("requestfailed", lambda req: None if req.failure == "net::ERR_ABORTED"
          else failed.append(f"{req.url} ({req.failure})"))
    pg.on("response", lambda resp: failed.append(f"{resp.url} (HTTP {resp.status})") if resp.status >= 400 else None)
    pg.on("request", lambda req: None if req.url.startswith((url.rstrip("/"), "data:", "blob:"))
          else failed.append(f"{req.url} (not this machine)"))
    pg.set_default_timeout(120_000)
    pg.goto(url)
    pg.locator(".spsim-summary").wait_for()
    pg.failed_requests = failed
    return pg


@pytest.fixture(scope="module")
def page(server, browser):
    pg = _open(browser, server[0])
    yield pg
    late = list(pg.failed_requests)  # anything that failed while the tests used the page, not only at load
    pg.close()
    assert late == [], late


def _image(pg, selector: str) -> bytes:
    img = pg.locator(f"{selector} img").first
    img.wait_for()
    return img.screenshot()


def _wait_text(pg, selector: str, text: str):
    pg.locator(selector).filter(has_text=text).first.wait_for()


def _wait_week(pg, week: int):
    """Wait until the summary line reports week `week` or later."""
    pg.wait_for_function("w => { const el = document.querySelector('.spsim-summary');"
                         " const m = el && /Week (\\d+):/.exec(el.innerText); return m && Number(m[1]) >= w; }",
                         arg=week)


def _slider(pg, name: str):
    return pg.get_by_role("slider", name=name, exact=True)


def _choose(pg, label: str, current: str, option: str):
    pg.get_by_role("button", name=f"{label} {current}").click()
    pg.get_by_role("option", name=option, exact=True).click()


def test_page_loads_everything_from_this_machine_and_shows_no_mesa_internals(page):
    assert page.failed_requests == []  # scripts, styles and fonts all come from the local server
    assert page.locator(".spsim-summary").inner_text().startswith("Week 0:")
    tabs = {t.strip().lower() for t in page.get_by_role("tab").all_inner_texts()}
    assert {"classroom", "planner", "town and referral loop", "week by week", "more measures"} <= tabs
    body = page.locator("body").inner_text()
    for internal in ("Render Interval", "Use Threads", "Time:", "PAGE 0"):
        assert internal.lower() not in body.lower(), internal
    # every slider shows its value (Vuetify's always-on thumb label), and its meaning below it
    assert page.locator(".v-slider__thumb-label").count() >= 4
    assert "caseload places" in page.locator(".spsim-value-fte").inner_text()


def test_choosing_a_preset_moves_the_sliders_to_its_values_per_resident(page):
    want = preset_levers("pcn-link-worker", 2000)
    _choose(page, "Local model (preset)", "classroom", "pcn-link-worker")
    page.wait_for_function(
        "v => document.querySelector('[role=slider][aria-label]') !== null", arg=None)
    fte = _slider(page, "Link-worker capacity (FTE)")
    page.wait_for_function("([el, v]) => el.getAttribute('aria-valuenow') === v", arg=[fte.element_handle(),
                                                                                      str(want["fte"])])
    places = round(want["fte"] * want["caseload_per_fte"])
    assert float(fte.get_attribute("aria-valuenow")) == want["fte"] and places == 1  # 1 FTE per 50,000
    groups = _slider(page, "Community groups at the start")  # each slider updates in its own round trip
    page.wait_for_function("([el, v]) => el.getAttribute('aria-valuenow') === v",
                           arg=[groups.element_handle(), str(want["groups"])])
    assert int(groups.get_attribute("aria-valuenow")) == want["groups"]
    _wait_text(page, ".spsim-value-fte", f"{want['fte']:.2f} FTE = 1 caseload places")
    page.get_by_role("button", name="Reset", exact=True).click()
    _wait_text(page, ".spsim-settings", f"pcn-link-worker · 2,000 residents · {want['fte']:g} FTE link work (1 ")
    # and back: the classroom preset's own values
    _choose(page, "Local model (preset)", "pcn-link-worker", "classroom")
    page.wait_for_function("([el, v]) => el.getAttribute('aria-valuenow') === v",
                           arg=[fte.element_handle(), str(preset_levers("classroom", 2000)["fte"])])
    page.get_by_role("button", name="Reset", exact=True).click()
    _wait_text(page, ".spsim-settings", "classroom · 2,000 residents · 0.15 FTE link work (4 caseload places)")


def test_the_classroom_steps_plays_and_keeps_the_previous_run(server, browser):
    pg = _open(browser, server[0])  # a new tab: its own town, never run before
    try:
        pg.get_by_role("tab", name="Week by week").click()
        fresh = _image(pg, ".spsim-trends")
        assert pg.locator(".spsim-previous").count() == 0
        step = pg.get_by_role("button", name="Step", exact=True)
        for week in (1, 2, 3):
            step.click()
            _wait_text(pg, ".spsim-summary", f"Week {week}:")
        three = _image(pg, ".spsim-trends")
        assert three != fresh  # three weeks of lines
        pg.get_by_role("button", name="Play", exact=True).click()
        _wait_week(pg, 5)  # at least week 5: playing can pass week 5 between two looks
        pg.get_by_role("button", name="Pause", exact=True).click()
        pg.get_by_role("button", name="Play", exact=True).wait_for()
        ran = int(pg.locator(".spsim-summary").inner_text().split(":")[0].split()[1])
        assert ran >= 5

        pg.get_by_role("button", name="Reset", exact=True).click()
        _wait_text(pg, ".spsim-summary", "Week 0:")
        _wait_text(pg, ".spsim-previous", f"{ran} weeks")
        # same settings and seed, so week 0 is the same town: the only difference is the dotted previous run
        kept = _image(pg, ".spsim-trends")
        assert kept != fresh
        pg.get_by_role("tab", name="Town and referral loop").click()
        pg.locator(".spsim-town img").first.wait_for()
        pg.locator(".spsim-loop svg").wait_for()  # the network view and the referral loop side by side
        # the loop's numbers are this week's: the same as the summary line above
        waiting = pg.locator(".spsim-summary").inner_text().split(" · ")[1].split()[0]
        assert pg.locator(".spsim-stock-waiting").text_content().startswith(f"{waiting} residents")
        assert "Week 0:" in pg.locator(".spsim-loop-title").text_content()
    finally:
        pg.close()


def test_a_comparison_runs_on_the_planner_tab_and_shows_its_report(server, browser):
    pg = _open(browser, server[0])
    try:
        pg.get_by_role("tab", name="Planner").click()
        _choose(pg, "Residents", "as in the baseline file", "2,000 (very quick)")
        years = _slider(pg, "Years")
        years.focus()
        pg.keyboard.press("ArrowLeft")  # 2 -> 1 year
        reps = _slider(pg, "Replicates")
        reps.focus()
        for _ in range(3):
            pg.keyboard.press("ArrowLeft")  # 5 -> 2 replicates
        assert (years.get_attribute("aria-valuenow"), reps.get_attribute("aria-valuenow")) == ("1", "2")
        pg.get_by_role("button", name="Run comparison").click()
        # the planner's own bar (other Vuetify widgets on the page carry hidden progress bars of their own)
        pg.locator(".spsim-planner-progress").wait_for()
        frame_el = pg.locator("iframe.spsim-report")
        frame_el.wait_for(timeout=300_000)
        frame = frame_el.content_frame
        frame.locator("h1").wait_for()
        assert "scenarios compared" in frame.locator("h1").inner_text().lower()
        table = frame.locator("table").first
        table.wait_for()
        text = table.inner_text()
        assert "baseline" in text and "default" in text and "lonely" in text.lower()
        assert pg.locator("img.spsim-plot").count() >= 1
        assert pg.get_by_text("Download report.html").count() == 1
        assert "1 of 4" not in pg.locator(".spsim-progress").inner_text()  # 2 scenarios x 2 replicates, done
    finally:
        pg.close()


def test_the_server_says_nothing_per_connection(server):
    url, log = server
    before = log.read_text()
    for _ in range(2):
        with urllib.request.urlopen(url, timeout=30) as r:
            assert r.status == 200
    time.sleep(1)
    assert log.read_text() == before
    assert "Warning" not in before and "Traceback" not in before, before
