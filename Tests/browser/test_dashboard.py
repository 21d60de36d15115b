"""Headless Chromium check of the dashboard (issue 8).

Starts its own stripe-sim (the built binary) on a free port and a small webhook receiver, runs a seed-like flow
through the API, then drives the dashboard in Chromium: choose the account by key, complete the FC session from
the page, advance the test clock from the page (which settles the payment), and render every main page without
console errors (and without the hostile customer name ever running as script).

Needs: Debian `chromium` + `chromium-driver`, and `selenium` (pip). The stripe-sim binary comes from
`$STRIPE_SIM_BIN`, or `swift build --show-bin-path`; the test is skipped only when no binary is found.

Screenshots: set `DASHBOARD_SCREENSHOTS=DIR` to save the main pages as `DIR/dashboard-*.png` (the README's come
from `DASHBOARD_SCREENSHOTS=docs/screenshots`).
"""

import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk_test_dashboard_e2e"
HOSTILE = "<script>alert(1)</script>"
FROZEN = 1767618000  # Monday 2026-01-05 13:00 UTC
MANDATE = {
    "mandate_data[customer_acceptance][type]": "online",
    "mandate_data[customer_acceptance][online][ip_address]": "127.0.0.1",
    "mandate_data[customer_acceptance][online][user_agent]": "dashboard-e2e",
}


# MARK: - The server and a webhook receiver


def find_binary():
    explicit = os.environ.get("STRIPE_SIM_BIN")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    if not shutil.which("swift"):
        return None
    try:
        out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True,
                             timeout=120, check=True).stdout.strip()
    except (subprocess.SubprocessError, OSError):
        return None
    path = Path(out) / "stripe-sim"
    return str(path) if os.access(path, os.X_OK) else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver(http.server.BaseHTTPRequestHandler):
    """200 on /ok, 500 on /fail."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status = 200 if self.path.startswith("/ok") else 500
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok" if status == 200 else b"receiver says no")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    binary = find_binary()
    if not binary:
        pytest.skip("no stripe-sim binary (run `swift build`, or set STRIPE_SIM_BIN)")
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=ROOT)
    base = "http://127.0.0.1:%d" % port
    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                if r.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError("stripe-sim did not start: %s" % proc.stdout.read().decode(errors="replace")[-2000:])
        time.sleep(0.1)
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        yield {"base": base, "hooks": "http://127.0.0.1:%d" % receiver.server_address[1]}
    finally:
        receiver.shutdown()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# MARK: - The API


def api(server, method, path, params=None, body_json=None):
    headers = {"Authorization": "Bearer " + KEY}
    data = None
    if body_json is not None:
        data = json.dumps(body_json).encode()
        headers["Content-Type"] = "application/json"
        headers["Stripe-Version"] = "2026-06-24.preview"
    elif params is not None:
        pairs = params.items() if isinstance(params, dict) else params
        data = urllib.parse.urlencode(list(pairs)).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(server["base"] + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        raise AssertionError("%s %s -> %s %s" % (method, path, e.code, e.read()[:500]))


def wait_for(fetch, done, what, timeout=20):
    deadline = time.time() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        if time.time() > deadline:
            raise AssertionError("timed out waiting for %s (last: %r)" % (what, value))
        time.sleep(0.2)


# MARK: - The browser


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:
        options.binary_location = chromium
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,860", "--force-device-scale-factor=1", "--hide-scrollbars"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def by(testid):
    from selenium.webdriver.common.by import By
    return (By.CSS_SELECTOR, '[data-testid="%s"]' % testid)


def check_page(driver, what):
    """No console errors and no script ran (no alert), on the page now shown."""
    from selenium.common.exceptions import NoAlertPresentException

    try:
        alert = driver.switch_to.alert
        text = alert.text
        alert.dismiss()
        raise AssertionError("%s: a script ran (alert %r)" % (what, text))
    except NoAlertPresentException:
        pass
    severe = [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
    assert not severe, "%s: console errors %s" % (what, severe)
    assert driver.title.endswith("stripe-sim"), "%s: title %r" % (what, driver.title)


def shot(driver, name):
    folder = os.environ.get("DASHBOARD_SCREENSHOTS")
    if not folder:
        return
    path = Path(folder)
    if not path.is_absolute():
        path = ROOT / path
    path.mkdir(parents=True, exist_ok=True)
    png = driver.get_screenshot_as_png()
    (path / ("dashboard-%s.png" % name)).write_bytes(png)


def visit(driver, server, path, what, expect=()):
    driver.get(server["base"] + path)
    check_page(driver, what)
    html = driver.page_source
    for text in expect:
        assert text in html, "%s should show %r" % (what, text)
    return html


# MARK: - The flow


def test_dashboard_renders_and_drives_the_seed_flow(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, 20)

    # Seed through the API: endpoints (one answering 500), a clock, customers (one hostile), a v2 account, a session.
    api(server, "POST", "/v1/webhook_endpoints", [("url", server["hooks"] + "/ok"), ("enabled_events[]", "*")])
    api(server, "POST", "/v1/webhook_endpoints",
        [("url", server["hooks"] + "/fail"), ("enabled_events[]", "payment_intent.succeeded")])
    clock = api(server, "POST", "/v1/test_helpers/test_clocks", {"frozen_time": FROZEN, "name": "Dashboard e2e"})["id"]
    customer = api(server, "POST", "/v1/customers",
                   {"name": "Jenny Rosen", "email": "jenny@example.com", "test_clock": clock})["id"]
    api(server, "POST", "/v1/customers", {"name": HOSTILE, "email": "mallory@example.com",
                                          "metadata[note]": '"><img src=x onerror=alert(2)>'})
    api(server, "POST", "/v2/core/accounts", body_json={"display_name": "Acme Inc", "contact_email": "ops@acme.test",
                                                        "configuration": {"customer": {}}})
    session = api(server, "POST", "/v1/financial_connections/sessions", [
        ("account_holder[type]", "customer"), ("account_holder[customer]", customer),
        ("permissions[]", "payment_method"), ("permissions[]", "balances")])["id"]

    # Choose the account with the key form.
    browser.get(server["base"] + "/")
    check_page(browser, "sign-in page")
    shot(browser, "signin")
    browser.find_element(*by("signin-key")).send_keys(KEY)
    browser.find_element(*by("signin-submit")).click()
    account = wait.until(EC.presence_of_element_located(by("account-id"))).text
    assert account.startswith("acct_")
    assert KEY not in browser.page_source
    assert not any(c["name"] == "stripe_sim_dashboard" and KEY in c["value"] for c in browser.get_cookies())
    cookie = next(c for c in browser.get_cookies() if c["name"] == "stripe_sim_dashboard")
    assert cookie["httpOnly"] and cookie["value"].startswith(account + ".")
    check_page(browser, "overview")

    # Complete the session from its page (first institution, default accounts).
    visit(browser, server, "/dashboard/fc_sessions", "FC sessions", [session])
    browser.find_element(*by("complete-" + session)).click()
    wait.until(EC.presence_of_element_located(by("complete-form")))
    Select(browser.find_element(*by("complete-outcome"))).select_by_value("success")
    browser.find_element(*by("complete-submit")).click()
    wait.until(EC.presence_of_element_located(by("notice")))
    check_page(browser, "session after completing")
    linked = api(server, "GET", "/v1/financial_connections/sessions/" + session)["accounts"]["data"]
    assert linked, "the session linked no account"
    fca = next(a for a in linked if "us_bank_account" in a["supported_payment_method_types"])["id"]

    # Two debits on the clock: one from the linked account, one the bank returns (R01).
    paid = api(server, "POST", "/v1/payment_intents", dict({
        "amount": 2000, "currency": "usd", "customer": customer, "payment_method_types[]": "us_bank_account",
        "payment_method_data[type]": "us_bank_account",
        "payment_method_data[us_bank_account][financial_connections_account]": fca,
        "payment_method_data[billing_details][name]": "Jenny Rosen", "confirm": "true", "description": "Order 1001"},
        **MANDATE))
    assert paid["status"] == "processing", paid["status"]
    returned = api(server, "POST", "/v1/payment_intents", dict({
        "amount": 1500, "currency": "usd", "customer": customer, "payment_method_types[]": "us_bank_account",
        "payment_method": "pm_usBankAccount_insufficientFunds", "confirm": "true", "description": "Order 1002"},
        **MANDATE))
    assert returned["status"] == "processing", returned["status"]

    # Advance the clock five days from the test clocks page: the payment settles.
    visit(browser, server, "/dashboard/test_clocks", "test clocks", [clock, "Dashboard e2e"])
    browser.find_element(*by("advance-%s-%d" % (clock, 5 * 86400))).click()
    wait.until(EC.presence_of_element_located(by("notice")))
    wait_for(lambda: api(server, "GET", "/v1/test_helpers/test_clocks/" + clock)["status"], lambda s: s == "ready",
             "the clock to be ready")
    assert api(server, "GET", "/v1/payment_intents/" + paid["id"])["status"] == "succeeded"
    after = api(server, "GET", "/v1/payment_intents/" + returned["id"])
    assert after["status"] == "requires_payment_method" and after["last_payment_error"]["code"] == "insufficient_funds"
    # Deliveries: the /fail endpoint's first attempt is made (then retries are pending).
    wait_for(lambda: api(server, "GET", "/v1/test_helpers/webhook_deliveries?status=pending&limit=100")["data"],
             lambda d: any(x["attempts"] for x in d), "a failed attempt")

    # Every main page renders, shows the flow, and runs no script.
    visit(browser, server, "/dashboard/test_clocks", "test clocks after advancing", ["ready"])
    shot(browser, "test-clocks")
    html = visit(browser, server, "/", "overview", [paid["id"], "Fault rules"])
    shot(browser, "overview")
    visit(browser, server, "/dashboard/customers", "customers",
          [customer, "Jenny Rosen", "&lt;script&gt;alert(1)&lt;/script&gt;"])
    shot(browser, "customers")
    visit(browser, server, "/dashboard/customers?q=" + urllib.parse.quote(HOSTILE), "customer search",
          ["mallory@example.com"])
    visit(browser, server, "/dashboard/accounts", "v2 accounts", ["Acme Inc"])
    visit(browser, server, "/dashboard/objects/" + customer, "customer page", [session, fca, paid["id"]])
    shot(browser, "customer")
    visit(browser, server, "/dashboard/objects/" + session, "session page", [fca])
    visit(browser, server, "/dashboard/fc_accounts", "FC accounts", [fca])
    visit(browser, server, "/dashboard/payment_intents", "payment intents",
          [paid["id"], returned["id"], 'data-status="succeeded"', "insufficient_funds"])
    shot(browser, "payment-intents")
    timeline = visit(browser, server, "/dashboard/objects/" + paid["id"], "payment page",
                     ["payment_intent.processing", "payment_intent.succeeded", "charge.succeeded", "py_",
                      'data-testid="object-deliveries"', server["hooks"] + "/ok"])
    assert timeline.index("payment_intent.processing") < timeline.index("payment_intent.succeeded")
    steps = browser.find_elements(*by("timeline-step"))
    assert [s.find_element(By.CSS_SELECTOR, ".badge").text for s in steps][-1] == "succeeded"
    shot(browser, "payment")
    visit(browser, server, "/dashboard/objects/" + returned["id"], "returned payment page",
          ["payment_intent.payment_failed", "insufficient_funds"])
    visit(browser, server, "/dashboard/events?type=payment_intent", "events", ["payment_intent.succeeded"])
    browser.find_element(By.CSS_SELECTOR, "details > summary").click()
    shot(browser, "events")
    visit(browser, server, "/dashboard/webhook_deliveries", "webhook deliveries",
          [server["hooks"] + "/ok", server["hooks"] + "/fail", ">200<", ">500<"])
    shot(browser, "webhooks")
    visit(browser, server, "/dashboard/requests", "request log", ["/v1/payment_intents", "/v1/customers"])
    assert "_secret_****" in browser.page_source
    for secret in [paid["client_secret"], returned["client_secret"]]:
        assert secret not in browser.page_source
    shot(browser, "requests")
    first = browser.find_element(By.CSS_SELECTOR, '[data-testid="requests"] tbody tr td:nth-child(3) a')
    first.click()
    wait.until(EC.presence_of_element_located(by("response-body")))
    check_page(browser, "request page")
    visit(browser, server, "/dashboard/fault_rules", "fault rules", ["/v1/test_helpers/fault_rules"])
    assert html  # the overview rendered

    # Switching account clears the cookie: back to the key form.
    browser.get(server["base"] + "/")
    browser.find_element(By.CSS_SELECTOR, "header form button").click()
    wait.until(EC.presence_of_element_located(by("signin-form")))
    check_page(browser, "after switching account")
