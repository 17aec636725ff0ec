"""The dashboard and a tear sheet in a real browser (headless Chromium, from file://): no console error, every
chart drawn, a screenshot saved.

Chromium is driven through the DevTools protocol over a websocket (the ``websockets`` package, already
installed with yfinance): console errors and uncaught exceptions arrive as events, which ``--dump-dom`` and
``--enable-logging`` cannot tell apart from ordinary log lines.
"""

import base64
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from infrabt.reports import write_report
from tests.reports.test_reports import EVIL, make_result

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed (apt-get install chromium; .ci/run does this)"
)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
]
CHARTS = """
Array.from(document.querySelectorAll('.chart')).map(div => ({
    id: div.id,
    svgs: div.querySelectorAll('.main-svg').length,
    marks: Array.from(div.querySelectorAll('g.trace path.js-line, g.trace g.point path, g.hm image'))
        .filter(el => (el.getAttribute('d') || el.getAttribute('href') || '').length > 10).length,
}))
"""


class DevTools:
    """A minimal DevTools-protocol client: one page, its console errors, JS evaluation and screenshots."""

    def __init__(self, profile: Path):
        from websockets.sync.client import connect

        self.profile, self.log = profile, profile / "chromium.log"
        with self.log.open("w") as log:  # a file, not a pipe: a full pipe would stall Chromium
            self.process = subprocess.Popen(
                [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.socket = connect(self._endpoint(), max_size=None, open_timeout=30)
        self.next_id, self.events, self.errors = 0, [], []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)

    def _endpoint(self) -> str:
        """Chromium writes its port and browser path to DevToolsActivePort once it listens."""
        active = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            lines = active.read_text().split() if active.exists() else []
            if len(lines) == 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            time.sleep(0.1)
        raise RuntimeError("Chromium did not start:\n" + self.log.read_text()[-3000:])

    def call(self, method: str, session: bool = False, **params) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.socket.send(json.dumps(message))
        while True:
            reply = self._receive(60)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _receive(self, timeout: float) -> dict:
        message = json.loads(self.socket.recv(timeout=timeout))
        if "method" in message:
            self._note(message)
        return message

    def _note(self, event: dict) -> None:
        """Keep every console error, uncaught exception and failed load; the test fails on any."""
        self.events.append(event["method"])
        params = event.get("params", {})
        if event["method"] == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(details.get("exception", {}).get("description") or details.get("text"))
        elif event["method"] == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
        elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(f"{params['entry'].get('text')} {params['entry'].get('url', '')}")

    def open(self, path: Path, width: int = 1400) -> None:
        """Load a file URL and wait for its load event and for scripts to settle."""
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=1000,
                  deviceScaleFactor=1, mobile=False)  # fmt: skip
        self.events.clear()
        self.errors.clear()
        self.call("Page.navigate", session=True, url=path.resolve().as_uri())
        deadline = time.monotonic() + 60
        while "Page.loadEventFired" not in self.events and time.monotonic() < deadline:
            self._receive(deadline - time.monotonic())
        assert "Page.loadEventFired" in self.events, f"{path.name} did not finish loading"
        self.evaluate("new Promise(done => setTimeout(done, 500))")

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True,
                           awaitPromise=True)  # fmt: skip
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluating {expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        """The whole page, not just the window."""
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        width = int(self.evaluate("document.documentElement.scrollWidth"))
        shot = self.call("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})  # fmt: skip
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    devtools = DevTools(tmp_path_factory.mktemp("chromium-profile"))
    yield devtools
    devtools.close()


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = make_result(names=("spy", "rails", EVIL), failures={"broken": "StrategyError: bad weights"})
    write_report(result, out, progress=False)
    return out


def test_dashboard_renders_every_chart_without_console_errors(browser, report_dir):
    browser.open(report_dir / "index.html")
    charts = browser.evaluate(CHARTS)
    figures = browser.evaluate("document.querySelectorAll('script.figure').length")
    shot = browser.screenshot(report_dir / "dashboard.png")
    assert browser.errors == [], browser.errors
    assert len(charts) == figures >= 6, charts
    for chart in charts:
        assert chart["svgs"] > 0 and chart["marks"] > 0, f"chart {chart['id']} drew nothing: {chart}"
    assert browser.evaluate("document.body.innerText.includes('<img src=x onerror=alert(1)>')")  # as text
    assert not browser.evaluate("document.querySelector('img[src=x]')")  # not as an element
    assert shot.stat().st_size > 50_000  # a real picture, not a blank page
    print(f"screenshot: {shot}")


def test_metrics_table_sorts_on_click(browser, report_dir):
    browser.open(report_dir / "index.html")
    first = "document.querySelector('#metrics-table tbody tr td').textContent.trim()"
    before = browser.evaluate(first)
    browser.evaluate("document.querySelectorAll('#metrics-table th')[1].click()")  # CAGR, highest first
    top = browser.evaluate(first)
    cagr = browser.evaluate(
        "Array.from(document.querySelectorAll('#metrics-table tbody tr'))"
        ".map(r => parseFloat(r.cells[1].dataset.sort))"
    )
    assert cagr == sorted(cagr, reverse=True)
    assert browser.errors == []
    assert before and top


def test_tear_sheet_renders_without_console_errors(browser, report_dir):
    sheet = report_dir / "tearsheets" / "rails.html"
    browser.open(sheet)
    charts = browser.evaluate("document.querySelectorAll('svg').length")
    text = browser.evaluate("document.body.innerText")
    shot = browser.screenshot(report_dir / "tearsheet.png")
    assert browser.errors == [], browser.errors
    assert charts >= 10, f"only {charts} charts in the tear sheet"
    assert "rails vs spy" in text
    assert shot.stat().st_size > 50_000


@pytest.fixture(scope="module")
def evidence_dir(tmp_path_factory):
    """A report of an engine run with miners, GPU stocks, BTC and gold: every tested-thesis section drawn."""
    from tests.reports.test_evidence import thesis_result

    out = tmp_path_factory.mktemp("evidence-report")
    write_report(thesis_result(), out, tearsheets=False, progress=False)
    return out


@pytest.mark.parametrize("width", [1400, 400])
def test_scorecard_miners_and_attribution_render_at_desktop_and_phone_width(browser, evidence_dir, width):
    browser.open(evidence_dir / "index.html", width=width)
    charts = {chart["id"]: chart for chart in browser.evaluate(CHARTS)}
    for key in ("fig-pivot", "fig-contribution-return", "fig-contribution-risk"):
        assert charts[key]["svgs"] > 0 and charts[key]["marks"] > 0, charts.get(key)
    claims = browser.evaluate("document.querySelectorAll('#scorecard details.claim').length")
    order = browser.evaluate(
        "['scorecard', 'metrics', 'miners', 'attribution']"
        ".map(id => document.getElementById(id).getBoundingClientRect().top)"
    )
    # a claim opens on click and shows its statistics; its link points at a section that exists
    browser.evaluate("document.querySelector('#claim-4 summary').click()")
    opened = browser.evaluate("document.querySelector('#claim-4').open")
    rows = browser.evaluate("document.querySelectorAll('#claim-4 tbody tr').length")
    target = browser.evaluate("document.querySelector('#claim-4 summary a').getAttribute('href')")
    overflow = browser.evaluate(  # each new section and chart fits the window
        "Array.from(document.querySelectorAll('#scorecard, #miners, #attribution, #miners .main-svg,"
        " #attribution .main-svg')).map(e => e.getBoundingClientRect().right - window.innerWidth)"
    )
    shot = browser.screenshot(evidence_dir / f"evidence-{width}.png")
    assert browser.errors == [], browser.errors
    assert claims == 6 and opened and rows == 2
    assert browser.evaluate(f"!!document.querySelector('{target}')")
    assert order == sorted(order), order  # the scorecard opens the page
    assert max(overflow) <= 1, f"sections wider than a {width}px window: {overflow}"
    assert browser.evaluate("document.querySelectorAll('#metrics-table .ci').length") >= 3 * 5
    print(f"screenshot: {shot}")


WIDEST = """
Array.from(document.querySelectorAll('.chart')).map(div => {
    const card = div.closest('section').getBoundingClientRect();
    const svg = div.querySelector('.main-svg').getBoundingClientRect();
    return {id: div.id, right: svg.right, card: card.right};
})
"""
LABEL_BOXES = """
Array.from(document.querySelectorAll('#fig-correlation g.annotation')).map(g => {
    const box = g.getBoundingClientRect();
    return [box.left, box.right, box.top, box.bottom];
})
"""


@pytest.mark.parametrize("width", [400, 1400])
def test_charts_fit_the_screen_and_crisis_labels_do_not_collide(browser, report_dir, width):
    browser.open(report_dir / "index.html", width=width)
    charts = browser.evaluate(WIDEST)
    page_width = browser.evaluate("document.documentElement.scrollWidth")
    labels = browser.evaluate(LABEL_BOXES)
    browser.screenshot(report_dir / f"dashboard-{width}.png")
    assert browser.errors == [], browser.errors
    assert page_width <= width  # nothing makes the page scroll sideways
    for chart in charts:
        assert chart["right"] <= min(chart["card"], width), chart
    assert len(labels) >= 5
    for n, a in enumerate(labels):
        for b in labels[n + 1 :]:
            apart = a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2]
            assert apart, f"crisis labels overlap at {width} px: {a} and {b}"


def test_tear_sheet_fits_a_phone(browser, report_dir):
    browser.open(report_dir / "tearsheets" / "rails.html", width=400)
    widest = browser.evaluate(
        "Math.max(...Array.from(document.querySelectorAll('svg')).map(s => s.getBoundingClientRect().right))"
    )
    browser.screenshot(report_dir / "tearsheet-400.png")
    assert browser.errors == [], browser.errors
    assert widest <= 400


CROWDED = ("spy", "rails", "crypto", "btc_corr_switch", "btc_trend", "crypto_majors", "gpu_datacenter",
           "infra_thesis", "miners_to_ai", "oil", "qqq", "rails_inverse_vol", "sixty_forty",
           "sixty_forty_btc5", "tokenization_financials")  # fmt: skip
CROWDED_PARTS = """({
    cellNumbers: document.querySelectorAll('#fig-corr .heatmaplayer text').length,
    legendsScrolled: Array.from(document.querySelectorAll('g.legend rect.scrollbar'))
        .filter(bar => parseFloat(bar.getAttribute('height')) > 0).length,
    page: document.documentElement.scrollWidth,
})"""
LANDING = """(href => {
    const target = document.querySelector(href), heading = target.querySelector('h2') || target;
    return {href: href, heading: heading.getBoundingClientRect().top,
            menu: document.querySelector('nav').getBoundingClientRect().bottom};
})"""


@pytest.fixture(scope="module")
def crowded_dir(tmp_path_factory):
    """Fifteen strategies named like the shipped ones: as crowded as the real dashboard."""
    out = tmp_path_factory.mktemp("crowded-report")
    write_report(make_result(names=CROWDED), out, tearsheets=False, progress=False)
    return out


def test_on_a_phone_menu_links_land_below_the_menu_and_crowded_charts_stay_readable(browser, crowded_dir):
    """At 400 px the menu wrapped to three lines and covered the heading a link jumped to; the 15 x 15
    correlation matrix printed its numbers over each other; a legend of 17 names was a scroll box."""
    browser.open(crowded_dir / "index.html", width=1400)
    desktop = browser.evaluate(CROWDED_PARTS)
    browser.open(crowded_dir / "index.html", width=400)
    phone = browser.evaluate(CROWDED_PARTS)
    links = browser.evaluate("Array.from(document.querySelectorAll('nav a'), a => a.getAttribute('href'))")
    landings = []
    for href in [link for link in links if browser.evaluate(f"!!document.querySelector('{link}')")]:
        browser.evaluate(f"document.querySelector('nav a[href=\"{href}\"]').click()")
        browser.evaluate("new Promise(done => setTimeout(done, 100))")
        landings.append(browser.evaluate(f"{LANDING}('{href}')"))
    browser.screenshot(crowded_dir / "crowded-400.png")
    assert browser.errors == [], browser.errors
    assert len(landings) >= 6
    hidden = [landing for landing in landings if landing["heading"] < landing["menu"]]
    assert not hidden, f"headings under the menu: {hidden}"
    assert desktop["cellNumbers"] == 15 * 15 and phone["cellNumbers"] == 0
    assert phone["legendsScrolled"] == 0 and phone["page"] <= 400
