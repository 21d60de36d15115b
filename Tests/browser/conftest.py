"""Fixtures for the hosted-flow browser tests: a live stripe-sim, a host page on another origin that loads the
simulator's Stripe.js stand-in from /v3/, and headless Chromium driven by selenium.

Environment:
  STRIPE_SIM_URL         a running simulator (CI starts one); otherwise the tests start
  STRIPE_SIM_BIN         this binary (default .build/debug/stripe-sim) on a free port.
  CHROMIUM_BIN           default /usr/bin/chromium       (Debian package `chromium`)
  CHROMEDRIVER_BIN       default /usr/bin/chromedriver   (Debian package `chromium-driver`)
  STRIPE_SIM_SCREENSHOTS where the README's page screenshots go when set (e.g. docs/screenshots);
                         on failure every page a test saw is saved to .artifacts/screenshots/ regardless.
"""

import functools
import http.server
import json
import os
import pathlib
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
FAILURE_SHOTS = ROOT / ".artifacts" / "screenshots"
WAIT = 15

HOST_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Example app (host page)</title>
<!-- In production this is https://js.stripe.com/v3/ -->
<script src="%(sim)s/v3/"></script>
<style>body{font:15px sans-serif;margin:24px;background:#fafafa} pre{background:#fff;border:1px solid #ddd;padding:8px}</style>
</head>
<body>
<h1>Example app</h1>
<p>Connect a bank account to continue.</p>
<button type="button" data-testid="host-link">Link your bank</button>
<pre data-testid="host-result"></pre>
<script>
  const params = new URLSearchParams(window.location.search);
  const stripe = Stripe(params.get('pk'));
  window.__results = [];
  async function link(clientSecret) {
    const result = await stripe.collectFinancialConnectionsAccounts({clientSecret: clientSecret});
    window.__results.push(result);
    document.querySelector('[data-testid=host-result]').textContent = JSON.stringify(result, null, 2);
    return result;
  }
  document.querySelector('[data-testid=host-link]').addEventListener('click', function () {
    link(params.get('cs'));
  });
</script>
</body>
</html>
"""

RETURN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Back in the app</title></head>
<body><h1 data-testid="app-return">Back in the app</h1></body></html>
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"stripe-sim did not answer on {url} within {timeout}s")


@pytest.fixture(scope="session")
def sim_url():
    url = os.environ.get("STRIPE_SIM_URL")
    if url:
        wait_until_up(url.rstrip("/"))
        yield url.rstrip("/")
        return
    binary = os.environ.get("STRIPE_SIM_BIN", str(ROOT / ".build" / "debug" / "stripe-sim"))
    port = free_port()
    log = open(ROOT / ".artifacts" / "browser-server.log", "w") if (ROOT / ".artifacts").is_dir() else subprocess.DEVNULL
    proc = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def host_url(sim_url):
    """A static host page on its own origin (another port), served by Python's http.server."""
    directory = tempfile.mkdtemp(prefix="stripe-sim-host-")
    pathlib.Path(directory, "host.html").write_text(HOST_PAGE % {"sim": sim_url})
    pathlib.Path(directory, "return.html").write_text(RETURN_PAGE)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=directory))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    shutil.rmtree(directory, ignore_errors=True)


class API:
    """The simulator's REST API with one isolated account (sk_test_X / pk_test_X)."""

    def __init__(self, base):
        self.base = base
        suffix = "browser" + secrets.token_hex(6)
        self.sk = "sk_test_" + suffix
        self.pk = "pk_test_" + suffix

    def call(self, method, path, params=None):
        data = urllib.parse.urlencode(params or [], doseq=True).encode() if method == "POST" else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.sk)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{method} {path}: {e.code} {e.read().decode()}") from None

    def session(self, return_url=None):
        customer = self.call("POST", "/v1/customers", [("email", "jenny@example.com"), ("name", "Jenny Rosen")])
        params = [
            ("account_holder[type]", "customer"),
            ("account_holder[customer]", customer["id"]),
            ("permissions[]", "payment_method"),
            ("permissions[]", "balances"),
            ("permissions[]", "ownership"),
            ("permissions[]", "transactions"),
        ]
        if return_url:
            params.append(("return_url", return_url))
        return self.call("POST", "/v1/financial_connections/sessions", params)


@pytest.fixture
def api(sim_url):
    return API(sim_url)


class Browser:
    """A selenium driver with the flow's vocabulary: click/type by data-testid, screenshots of every page."""

    def __init__(self, driver, name):
        self.driver = driver
        self.name = name
        self.shots = []  # (label, png) of every page seen, saved on failure
        self.docs_dir = os.environ.get("STRIPE_SIM_SCREENSHOTS")
        self.in_frame = False

    # -- finding things
    def el(self, testid, clickable=False):
        cond = EC.element_to_be_clickable if clickable else EC.presence_of_element_located
        return WebDriverWait(self.driver, WAIT).until(cond((By.CSS_SELECTOR, f'[data-testid="{testid}"]')))

    def has(self, testid):
        return bool(self.driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]'))

    def click(self, testid):
        self.shot(f"before {testid}")
        self.el(testid, clickable=True).click()

    def type(self, testid, text):
        field = self.el(testid, clickable=True)
        field.clear()
        field.send_keys(text)

    # -- the modal
    def open_host(self, host_url, pk, client_secret):
        self.driver.get(f"{host_url}/host.html?pk={pk}&cs={urllib.parse.quote(client_secret)}")
        self.el("host-link", clickable=True).click()

    def enter_modal(self):
        frame = WebDriverWait(self.driver, WAIT).until(
            EC.presence_of_element_located((By.CSS_SELECTOR, '[data-testid="stripe-sim-frame"]')))
        self.driver.switch_to.frame(frame)
        self.in_frame = True

    def leave_modal(self):
        self.driver.switch_to.default_content()
        self.in_frame = False

    def result(self, count=1):
        """The value collectFinancialConnectionsAccounts resolved with (waits for the host page to get it)."""
        self.leave_modal()
        WebDriverWait(self.driver, WAIT).until(
            lambda d: d.execute_script("return window.__results && window.__results.length") >= count)
        WebDriverWait(self.driver, WAIT).until_not(
            EC.presence_of_element_located((By.CSS_SELECTOR, '[data-testid="stripe-sim-modal"]')))
        return self.driver.execute_script("return window.__results[window.__results.length - 1]")

    # -- screenshots
    def shot(self, label, docs_name=None):
        try:
            png = self.driver.get_screenshot_as_png()
        except Exception:  # a page in the middle of closing
            return
        self.shots.append((label, png))
        if docs_name and self.docs_dir:
            path = pathlib.Path(self.docs_dir)
            path.mkdir(parents=True, exist_ok=True)
            target = path / f"{docs_name}.png"
            if self.in_frame:
                # Just the flow: the iframe element, as the user sees it in the modal.
                self.driver.switch_to.default_content()
                frame = self.driver.find_element(By.CSS_SELECTOR, '[data-testid="stripe-sim-frame"]')
                target.write_bytes(frame.screenshot_as_png)
                self.driver.switch_to.frame(frame)
            else:
                target.write_bytes(png)

    def save_failure_shots(self):
        FAILURE_SHOTS.mkdir(parents=True, exist_ok=True)
        self.shot("at failure")
        for n, (label, png) in enumerate(self.shots):
            safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-")
            (FAILURE_SHOTS / f"{self.name}-{n:02d}-{safe}.png").write_bytes(png)
        try:
            (FAILURE_SHOTS / f"{self.name}-page.html").write_text(self.driver.page_source)
        except Exception:
            pass


def make_driver(javascript=True):
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=900,860", "--force-device-scale-factor=1", "--hide-scrollbars"):
        options.add_argument(arg)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    service = Service(executable_path=os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(WAIT)
    return driver


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "report_" + report.when, report)


def _browser(request, javascript):
    driver = make_driver(javascript)
    browser = Browser(driver, re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name))
    yield browser
    failed = any(getattr(request.node, "report_" + w, None) is not None and getattr(request.node, "report_" + w).failed
                 for w in ("setup", "call"))
    if failed:
        browser.save_failure_shots()
    driver.quit()


@pytest.fixture
def browser(request):
    yield from _browser(request, javascript=True)


@pytest.fixture
def browser_without_js(request):
    yield from _browser(request, javascript=False)
