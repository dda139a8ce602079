"""The comparison report as a person sees it: report.html opened in headless Chromium.

Needs Debian's ``chromium`` (``/usr/bin/chromium``); ``.ci/run`` installs it. Outside CI the test is
skipped, with the reason, when Chromium is missing; in CI (``CI`` set) a missing browser fails.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from spsim.interfaces.cli import main

pytestmark = pytest.mark.browser  # run after the rest, alone (Makefile: make test)

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--mute-audio", "--hide-scrollbars",
]


def chromium() -> str:
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    found = shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package before the tests")
    pytest.skip("chromium is not installed (apt-get install chromium); the report's browser test needs it")


def run_chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    env = {**os.environ, "HOME": str(tmp)}  # keep the browser's caches out of the user's home
    return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=120, env=env, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("browser")
    root = Path(__file__).resolve().parents[1] / "configs"
    out = d / "out"
    rc = main(["compare", str(root / "baseline.toml"), str(root / "default.toml"), str(root / "more-link-workers.toml"),
               "--set", "population.size=2000", "--set", "groups.count=6",
               # a rendering test: a short burn-in (not the two-year one) gives the same kinds of plot
               "--set", "simulation.burn_in_weeks=8",
               "--weeks", "20", "--replicates", "2", "--quiet", "--out", str(out)])
    assert rc == 0
    return out / "report.html"


WINDOW = "--window-size=1280,4000"


def embedded_pngs(html: str) -> list:
    from PIL import Image

    out = []
    for data in re.findall(r'<img src="data:image/png;base64,([^"]+)"', html):
        im = Image.open(io.BytesIO(base64.b64decode(data)))
        im.load()
        out.append(im)
    return out


@pytest.fixture(scope="module")
def browser_view(report, tmp_path_factory):
    """(DOM after load, screenshot) of the report, both at the same window size."""
    from PIL import Image

    tmp = tmp_path_factory.mktemp("chromium")
    dom = run_chromium(tmp, WINDOW, "--dump-dom", report.resolve().as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    shot = tmp / "report.png"
    res = run_chromium(tmp, f"--screenshot={shot}", WINDOW, report.resolve().as_uri())
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    if os.environ.get("SPSIM_KEEP_SCREENSHOT"):  # to look at it: SPSIM_KEEP_SCREENSHOT=/tmp/report.png
        shutil.copy(shot, os.environ["SPSIM_KEEP_SCREENSHOT"])
    return dom.stdout, Image.open(shot).convert("RGB")


def body_attrs(dom: str) -> dict[str, str]:
    body = re.search(r"<body([^>]*)>", dom)
    assert body, dom[:500]
    return dict(re.findall(r'([\w-]+)="([^"]*)"', body.group(1)))


def test_every_plot_decodes_in_chromium(report, browser_view):
    """The page's own script counts images that decoded (naturalWidth > 0) once the page loaded."""
    dom, _ = browser_view
    n_img = len(re.findall(r"<img\b", report.read_text(encoding="utf-8")))
    assert n_img == 7
    attrs = body_attrs(dom)
    assert "data-images-ok" in attrs, f"the page's load script did not run: {attrs}"
    assert int(attrs["data-images-total"]) == n_img
    assert int(attrs["data-images-ok"]) == n_img
    page = re.sub(r"<script>.*?</script>", "", dom, flags=re.S)
    assert 'class="broken"' not in page  # the script marks any chart that did not decode


def test_screenshot_shows_text_and_the_plots_themselves(report, browser_view):
    """Not blank, and every plot that falls inside the screenshot shows the embedded chart's pixels
    where the browser laid it out."""
    from PIL import Image

    dom, shot = browser_view
    assert shot.size == (1280, 4000)
    grey = np.asarray(shot.convert("L"), dtype=float)
    assert grey.std() > 20  # not a blank page
    assert (grey < 128).any(axis=1).mean() > 0.3  # text and plots fill the page, not just a header

    boxes = [tuple(int(v) for v in b.split(",")) for b in body_attrs(dom)["data-image-boxes"].split(";")]
    pngs = embedded_pngs(report.read_text(encoding="utf-8"))
    assert len(boxes) == len(pngs) == 7
    checked = 0
    for (x, y, w, h), png in zip(boxes, pngs, strict=True):
        assert w > 300 and h > 150, (x, y, w, h)  # laid out at a readable size
        if y + h > shot.size[1]:
            continue  # below the screenshot; the DOM check covers it
        seen = np.asarray(shot.crop((x, y, x + w, y + h)).convert("L"), dtype=float)
        expected = np.asarray(png.convert("RGB").resize((w, h), Image.Resampling.LANCZOS).convert("L"), dtype=float)
        diff = np.abs(seen - expected).mean()
        blank = np.abs(255 - expected).mean()
        assert seen.std() > 10, f"plot {checked} at {(x, y)} looks empty"
        assert diff < 0.25 * blank, f"plot at {(x, y)} does not match its image ({diff:.1f} vs {blank:.1f})"
        checked += 1
        print(f"plot at {(x, y, w, h)}: mean difference {diff:.1f} grey levels (vs {blank:.1f} from blank)")
    assert checked >= 2  # the window shows at least the first two charts


PHONE = {"width": 390, "height": 844}  # an iPhone 12-14 viewport in CSS pixels


def test_phone_width_reads_without_sideways_scrolling(report, tmp_path):
    """At 390 px the page itself never scrolls sideways (wide tables scroll inside their own box),
    the ranked decision table starts on the first screen or just below it, and every chart loads."""
    from playwright.sync_api import sync_playwright

    exe = chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport=PHONE)
            page.goto(report.resolve().as_uri())
            page.wait_for_function("document.body.hasAttribute('data-images-ok')")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"the page is {width} px wide at a {PHONE['width']} px viewport"
            top = page.evaluate("document.querySelector('table.decision').getBoundingClientRect().top")
            assert top < 1.25 * PHONE["height"], f"the decision table starts {top:.0f} px down"
            total = int(page.evaluate("document.body.getAttribute('data-images-total')"))
            ok = int(page.evaluate("document.body.getAttribute('data-images-ok')"))
            assert total == ok == 7
            wide = page.evaluate("""() => Array.from(document.querySelectorAll('body *')).filter(e =>
                !e.closest('.scroll') && e.getBoundingClientRect().right > window.innerWidth + 1).length""")
            assert wide == 0
            shot = os.environ.get("SPSIM_KEEP_PHONE_SCREENSHOT")  # to look at it
            if shot:
                page.screenshot(path=shot, full_page=False)
        finally:
            browser.close()
