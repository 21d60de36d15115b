"""End-to-end tests of the hosted Financial Connections flow in headless Chromium.

A host page on another origin loads the simulator's Stripe.js stand-in (/v3/) and calls
stripe.collectFinancialConnectionsAccounts({clientSecret}) as an app would; the tests drive the modal through
the data-testid controls and check what the promise resolved with and what the API says afterwards.
Run: see docs/hosted-flow.md (CI: .ci/run, step "browser tests").
"""

TEST_OAUTH = "fcinst_Qn1a6jqpI0Gb84"
BANK_NON_OAUTH = "fcinst_Qn1aVTBBJ4ubmQ"
DOWN_SCHEDULED = "fcinst_QH6l5zmRXAepbP"


def test_link_through_test_oauth_approving(browser, api, host_url):
    session = api.session()
    browser.open_host(host_url, api.pk, session["client_secret"])
    browser.el("stripe-sim-modal")
    browser.shot("host page with the modal", docs_name="00-modal")
    browser.enter_modal()
    browser.el("consent-agree")
    browser.shot("consent", docs_name="01-consent")
    browser.click("consent-agree")
    browser.el(f"institution-{TEST_OAUTH}")
    browser.shot("institutions", docs_name="02-institutions")
    browser.click(f"institution-{TEST_OAUTH}")
    browser.el("oauth-approve")
    browser.shot("bank oauth page", docs_name="03-bank-oauth")
    browser.click("oauth-approve")
    browser.el("account-checking-success")
    assert not browser.el("account-credit-card").is_enabled()  # no ACH: ineligible with payment_method
    browser.click("account-checking-success")
    browser.shot("accounts", docs_name="04-accounts")
    browser.click("link-accounts")
    browser.el("done")
    browser.shot("success", docs_name="05-success")
    browser.click("done")

    result = browser.result()
    assert "error" not in result, result
    fc = result["financialConnectionsSession"]
    assert fc["id"] == session["id"]
    assert [a["display_name"] for a in fc["accounts"]] == ["Success"]
    account = fc["accounts"][0]
    assert account["id"].startswith("fca_")
    assert account["object"] == "financial_connections.account"
    assert account["institution_name"] == "Test (OAuth)"
    assert account["last4"] == "6789"
    browser.shot("host page with the result", docs_name="06-result")

    after = api.call("GET", f"/v1/financial_connections/sessions/{session['id']}")
    assert after["status"] == "succeeded"
    assert [a["id"] for a in after["accounts"]["data"]] == [account["id"]]


def test_bank_non_oauth_with_mfa(browser, api, host_url):
    session = api.session()
    browser.open_host(host_url, api.pk, session["client_secret"])
    browser.enter_modal()
    browser.click("consent-agree")
    browser.click(f"institution-{BANK_NON_OAUTH}")
    browser.type("login-username", "jenny")
    browser.type("login-password", "mfa")
    browser.shot("login", docs_name="07-login")
    browser.click("login-submit")
    browser.el("login-answer")
    browser.type("login-answer", "123456")
    browser.shot("one-time code", docs_name="08-mfa")
    browser.click("login-submit")
    browser.click("account-everyday-checking")
    browser.click("account-high-yield-savings")
    browser.click("link-accounts")
    browser.click("done")

    fc = browser.result()["financialConnectionsSession"]
    assert sorted(a["display_name"] for a in fc["accounts"]) == ["Everyday Checking", "High-Yield Savings"]
    assert all(a["id"].startswith("fca_") for a in fc["accounts"])
    assert api.call("GET", f"/v1/financial_connections/sessions/{session['id']}")["status"] == "succeeded"


def test_bank_non_oauth_incorrect_then_retry(browser, api, host_url):
    session = api.session()
    browser.open_host(host_url, api.pk, session["client_secret"])
    browser.enter_modal()
    browser.click("consent-agree")
    browser.click(f"institution-{BANK_NON_OAUTH}")
    browser.type("login-username", "jenny")
    browser.type("login-password", "incorrect")
    browser.click("login-submit")
    assert "incorrect" in browser.el("login-error").text
    browser.type("login-password", "right")
    browser.click("login-submit")
    browser.click("account-everyday-checking")
    browser.click("link-accounts")
    browser.click("done")
    assert len(browser.result()["financialConnectionsSession"]["accounts"]) == 1


def test_denying_oauth_resolves_with_no_accounts(browser, api, host_url):
    session = api.session()
    browser.open_host(host_url, api.pk, session["client_secret"])
    browser.enter_modal()
    browser.click("consent-agree")
    browser.click(f"institution-{TEST_OAUTH}")
    browser.click("oauth-deny")
    browser.el("done")
    browser.shot("access denied", docs_name="09-denied")
    browser.click("done")

    fc = browser.result()["financialConnectionsSession"]
    assert fc["id"] == session["id"]
    assert fc["accounts"] == []
    assert api.call("GET", f"/v1/financial_connections/sessions/{session['id']}")["status"] == "cancelled"


def test_cancel_resolves_with_no_accounts(browser, api, host_url):
    session = api.session()
    browser.open_host(host_url, api.pk, session["client_secret"])
    browser.enter_modal()
    browser.click("consent-agree")
    browser.click("cancel")

    fc = browser.result()["financialConnectionsSession"]
    assert fc["id"] == session["id"]
    assert fc["accounts"] == []
    assert fc["status"] == "cancelled"
    assert api.call("GET", f"/v1/financial_connections/sessions/{session['id']}")["status"] == "cancelled"


def test_down_institution(browser, api, host_url):
    session = api.session()
    browser.open_host(host_url, api.pk, session["client_secret"])
    browser.enter_modal()
    browser.click("consent-agree")
    assert browser.el(f"institution-{DOWN_SCHEDULED}").get_attribute("data-status") == "down_scheduled"
    browser.click(f"institution-{DOWN_SCHEDULED}")
    message = browser.el("institution-unavailable").text
    assert "scheduled maintenance" in message
    browser.shot("institution down", docs_name="10-down")
    # Another bank is still possible; this test gives up instead.
    assert browser.has("back")
    browser.click("cancel")

    fc = browser.result()["financialConnectionsSession"]
    assert fc["accounts"] == []


def test_invalid_and_used_client_secrets_resolve_with_an_error(browser, api, host_url):
    browser.open_host(host_url, api.pk, "fcsess_client_secret_doesnotexist")
    result = browser.result()
    assert result["error"]["type"] == "invalid_request_error"
    assert result["error"]["code"] == "resource_missing"
    assert "financialConnectionsSession" not in result

    session = api.session()
    api.call("POST", f"/v1/test_helpers/financial_connections/sessions/{session['id']}/complete",
             [("institution", TEST_OAUTH)])
    browser.open_host(host_url, api.pk, session["client_secret"])
    result = browser.result()
    assert result["error"]["code"] == "financial_connections_session_completed"

    # Another account's publishable key cannot open the session.
    other = api.session()
    browser.open_host(host_url, "pk_test_someoneelse", other["client_secret"])
    assert browser.result()["error"]["code"] == "resource_missing"


def test_unknown_stripe_js_methods_say_they_are_not_simulated(browser, api, host_url):
    browser.driver.get(f"{host_url}/host.html?pk={api.pk}&cs=x")
    messages = browser.driver.execute_script("""
        const out = [];
        for (const call of [() => stripe.elements(), () => stripe.confirmPayment({}), () => stripe.collectBankAccountToken({})]) {
          try { call(); out.push('no error'); } catch (e) { out.push(e.name + ': ' + e.message); }
        }
        try { Stripe('sk_test_123'); } catch (e) { out.push(e.message); }
        out.push(typeof stripe.then);
        return out;
    """)
    assert messages[0].startswith("IntegrationError: stripe.elements() is not simulated by stripe-sim")
    assert "confirmPayment() is not simulated" in messages[1]
    assert "collectBankAccountToken() is not simulated" in messages[2]
    assert "secret key" in messages[3]
    assert messages[4] == "undefined"  # the Stripe object is not mistaken for a promise


def test_webview_path_without_javascript(browser_without_js, api, host_url, sim_url):
    """A WebView opening the flow URL directly, with JavaScript off: plain links and forms, the fake bank's page
    as a top-level page, and a 303 to the session's return_url at the end."""
    b = browser_without_js
    session = api.session(return_url=f"{host_url}/return.html")
    b.driver.get(f"{sim_url}/link/{session['client_secret']}")
    b.click("consent-agree")
    b.click(f"institution-{TEST_OAUTH}")
    b.el("oauth-approve")
    assert b.driver.current_url.startswith(f"{sim_url}/bank-oauth/{TEST_OAUTH}?state=")
    b.click("oauth-approve")
    b.click("account-savings")
    b.click("link-accounts")
    b.click("done")
    b.el("app-return")
    assert b.driver.current_url == f"{host_url}/return.html?status=succeeded&session={session['id']}"
    after = api.call("GET", f"/v1/financial_connections/sessions/{session['id']}")
    assert [a["display_name"] for a in after["accounts"]["data"]] == ["Savings"]
