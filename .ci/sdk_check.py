#!/usr/bin/env python3
"""Drive a running stripe-sim with the official, unmodified `stripe` Python SDK.

    python3 .ci/sdk_check.py http://127.0.0.1:12111 [--key sk_test_...]

Only the base address differs from what an app team writes against real
Stripe: `stripe.StripeClient(key, base_addresses={"api": URL})`. Each check
prints one line ("ok" or "FAIL" with the reason); the last line is
`N passed, N failed` and the exit code is 1 when anything failed (an
unreachable server fails every check).

Webhooks: the script starts its own receiver (http.server on 127.0.0.1, a
random port, in a thread), points a webhook endpoint at it, and verifies the
customer.created delivery with stripe.Webhook.construct_event; a tampered
payload must raise stripe.SignatureVerificationError.

Written against stripe-python 16.x (also runs on 15.x: same constructor,
same services, same error classes).
"""
import argparse
import http.server
import json
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid

import stripe

RESULTS = []  # (name, ok)


class Skip(Exception):
    """A prerequisite failed, so this check could not run."""


def check(name, fn):
    """Run one check; return what fn returned, or None when it failed."""
    try:
        value = fn()
    except AssertionError as e:
        _record(name, False, str(e) or "assertion failed")
        return None
    except Skip as e:
        _record(name, False, "not run: %s" % e)
        return None
    except stripe.StripeError as e:
        _record(name, False, "%s (http %s, code %s): %s" % (
            type(e).__name__, e.http_status, e.code, e.user_message or e))
        return None
    except Exception as e:  # noqa: BLE001 - a check must never stop the run
        _record(name, False, "%s: %s" % (type(e).__name__, e))
        return None
    _record(name, True, "")
    return value


def _record(name, ok, why):
    RESULTS.append((name, ok))
    print(("ok    %s" % name) if ok else ("FAIL  %s: %s" % (name, why)), flush=True)


def field(obj, key, default=None):
    """obj[key] when present (StripeObject is not a dict and has no .get)."""
    return obj[key] if obj is not None and key in obj else default


def need(value, what):
    if value is None:
        raise Skip("needs %s" % what)
    return value


def expect(actual, wanted, what):
    assert actual == wanted, "%s: expected %r, got %r" % (what, wanted, actual)


class WebhookReceiver:
    """A tiny HTTP server on 127.0.0.1 (random port, own thread) that keeps
    every POST body (raw bytes) and its Stripe-Signature header."""

    def __init__(self):
        received = self.received = []
        lock = self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with lock:
                    received.append((body, self.headers.get("Stripe-Signature")))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):  # keep the check's output to one line per check
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/webhooks" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, predicate, timeout=10.0):
        """The first (body, signature) for which predicate(body) is true, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for body, sig in self.received:
                    if predicate(body):
                        return body, sig
            time.sleep(0.05)
        return None

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base_url", help="e.g. http://127.0.0.1:12111")
    ap.add_argument("--key", default="sk_test_ci_sdk", help="secret key (any sk_test_ key)")
    ap.add_argument("--timeout", type=float, default=15, help="seconds per HTTP request")
    args = ap.parse_args(argv)
    base = args.base_url.rstrip("/")

    print("stripe-python %s against %s (Stripe-Version %s)" % (
        stripe.VERSION, base, stripe.api_version), flush=True)

    client = stripe.StripeClient(
        args.key,
        base_addresses={"api": base},
        # The SDK retries 409s, 5xx and connection errors (and obeys
        # Stripe-Should-Retry); a simulator bug must show up, not be retried.
        max_network_retries=0,
        # requests' default timeout is 80 s; keep a hung server from hanging CI.
        http_client=stripe.RequestsClient(timeout=args.timeout),
    )

    run = uuid.uuid4().hex[:12]
    email = "sdk-check+%s@example.com" % run

    # ---- v1 customers ---------------------------------------------------
    def create_customer():
        c = client.v1.customers.create(params={
            "email": email,
            "name": "SDK Check",
            "metadata": {"run": run, "plan": "basic"},
        })
        assert isinstance(c, stripe.Customer), "expected stripe.Customer, got %s" % type(c).__name__
        assert str(c.id).startswith("cus_"), "id %r does not start with cus_" % c.id
        expect(c.object, "customer", "object")
        expect(c.email, email, "email")
        expect(c.name, "SDK Check", "name")
        expect(c.metadata["run"], run, "metadata.run")
        return c

    created = check("v1 customers.create (email, name, metadata)", create_customer)
    cus_id = created.id if created is not None else None

    def request_id_header():
        c = need(created, "customers.create")
        rid = c.last_response.request_id if c.last_response is not None else None
        assert rid, "response has no Request-Id header"
        assert rid.startswith("req_"), "Request-Id %r does not start with req_" % rid

    check("Request-Id header on responses (req_...)", request_id_header)

    def retrieve_customer():
        c = client.v1.customers.retrieve(need(cus_id, "a created customer"))
        expect(c.id, cus_id, "id")
        expect(c.email, email, "email")
        expect(c.name, "SDK Check", "name")
        expect(c.metadata["plan"], "basic", "metadata.plan")

    check("v1 customers.retrieve", retrieve_customer)

    def update_customer():
        c = client.v1.customers.update(need(cus_id, "a created customer"),
                                       params={"metadata": {"plan": "pro"}})
        expect(c.id, cus_id, "id")
        expect(c.metadata["plan"], "pro", "metadata.plan after update")
        expect(c.metadata["run"], run, "metadata.run kept by update")
        again = client.v1.customers.retrieve(cus_id)
        expect(again.metadata["plan"], "pro", "metadata.plan on a retrieve after update")

    check("v1 customers.update (metadata)", update_customer)

    def list_customers():
        need(cus_id, "a created customer")
        page = client.v1.customers.list(params={"limit": 10})
        expect(page.object, "list", "object")
        expect(page.url, "/v1/customers", "url")
        assert isinstance(page.has_more, bool), "has_more is %r" % (page.has_more,)
        assert len(page.data) <= 10, "limit=10 returned %d items" % len(page.data)
        ids = [c.id for c in page.data]
        assert cus_id in ids, "%s not in the first page: %s" % (cus_id, ids)
        expect(ids[0], cus_id, "newest customer first")

    check("v1 customers.list (limit=10, newest first)", list_customers)

    # search is optional on the simulator and not checked here.

    def delete_customer():
        d = client.v1.customers.delete(need(cus_id, "a created customer"))
        expect(d.id, cus_id, "id")
        expect(field(d, "deleted"), True, "deleted")
        return d

    deleted = check("v1 customers.delete -> deleted: true", delete_customer)

    def retrieve_deleted():
        need(deleted, "customers.delete")
        c = client.v1.customers.retrieve(cus_id)
        expect(c.id, cus_id, "id")
        expect(field(c, "deleted"), True, "deleted")

    check("v1 customers.retrieve of a deleted customer -> deleted: true", retrieve_deleted)

    def retrieve_missing():
        missing = "cus_sdkcheckmissing%s" % run
        try:
            client.v1.customers.retrieve(missing)
        except stripe.InvalidRequestError as e:
            expect(e.http_status, 404, "http_status")
            expect(e.code, "resource_missing", "code")
            return
        raise AssertionError("retrieving %s did not raise InvalidRequestError" % missing)

    check("v1 customers.retrieve of a missing id -> InvalidRequestError 404 resource_missing",
          retrieve_missing)

    # ---- v2 accounts ----------------------------------------------------
    acct_email = "sdk-check-v2+%s@example.com" % run

    def create_account():
        a = client.v2.core.accounts.create(params={
            "contact_email": acct_email,
            "display_name": "SDK Check %s" % run,
            "configuration": {"customer": {}},
            "include": ["configuration.customer"],
        })
        assert str(a.id).startswith("acct_"), "id %r does not start with acct_" % a.id
        expect(a.object, "v2.core.account", "object")
        expect(a.contact_email, acct_email, "contact_email")
        expect(a.display_name, "SDK Check %s" % run, "display_name")
        config = field(a, "configuration")
        assert field(config, "customer") is not None, \
            "configuration.customer missing although include=[configuration.customer]"
        return a

    account = check("v2 core.accounts.create (configuration.customer, include)", create_account)

    def retrieve_account():
        acct_id = need(account, "core.accounts.create").id
        a = client.v2.core.accounts.retrieve(acct_id,
                                             params={"include": ["configuration.customer"]})
        expect(a.id, acct_id, "id")
        expect(a.object, "v2.core.account", "object")
        expect(a.contact_email, acct_email, "contact_email")
        assert field(field(a, "configuration"), "customer") is not None, \
            "configuration.customer missing although include=[configuration.customer]"

    check("v2 core.accounts.retrieve (include)", retrieve_account)

    # ---- webhooks ---------------------------------------------------------
    receiver = WebhookReceiver()

    def create_webhook_endpoint():
        we = client.v1.webhook_endpoints.create(params={
            "url": receiver.url,
            "enabled_events": ["customer.created"],
            "description": "sdk check %s" % run,
        })
        assert str(we.id).startswith("we_"), "id %r does not start with we_" % we.id
        expect(we.object, "webhook_endpoint", "object")
        expect(we.url, receiver.url, "url")
        expect(list(we.enabled_events), ["customer.created"], "enabled_events")
        expect(we.status, "enabled", "status")
        assert str(field(we, "secret", "")).startswith("whsec_"), "create must return the whsec_ secret"
        return we

    endpoint = check("v1 webhook_endpoints.create (url, enabled_events) -> secret", create_webhook_endpoint)
    hook_email = "sdk-check-hook+%s@example.com" % run
    delivery = {}

    def webhook_delivered_and_verified():
        we = need(endpoint, "webhook_endpoints.create")
        c = client.v1.customers.create(params={"email": hook_email})
        got = receiver.wait_for(lambda body: hook_email.encode() in body, timeout=10)
        assert got is not None, "no customer.created delivery for %s within 10 s" % c.id
        payload, sig_header = got
        assert sig_header, "delivery has no Stripe-Signature header"
        event = stripe.Webhook.construct_event(payload, sig_header, we.secret)
        expect(event.type, "customer.created", "event.type")
        expect(event.data.object.id, c.id, "event.data.object.id")
        # The StripeClient flavour verifies the same way.
        event2 = client.construct_event(payload, sig_header, we.secret)
        expect(event2.id, event.id, "StripeClient.construct_event id")
        delivery["payload"], delivery["sig"], delivery["secret"] = payload, sig_header, we.secret

    check("webhook delivery verified by stripe.Webhook.construct_event", webhook_delivered_and_verified)

    def tampered_webhook_rejected():
        payload = need(delivery.get("payload"), "a verified delivery")
        tampered = payload.replace(hook_email.encode(), b"attacker@example.com")
        assert tampered != payload, "could not tamper with the payload"
        for bad, why in [(tampered, "tampered payload"),
                         (payload, "another secret")]:
            secret = delivery["secret"] if why != "another secret" else "whsec_not_the_secret"
            try:
                stripe.Webhook.construct_event(bad, delivery["sig"], secret)
            except stripe.SignatureVerificationError:
                continue
            raise AssertionError("%s did not raise SignatureVerificationError" % why)

    check("tampered webhook payload -> SignatureVerificationError", tampered_webhook_rejected)

    def delete_webhook_endpoint():
        we = need(endpoint, "webhook_endpoints.create")
        d = client.v1.webhook_endpoints.delete(we.id)
        expect(d.id, we.id, "id")
        expect(field(d, "deleted"), True, "deleted")

    check("v1 webhook_endpoints.delete -> deleted: true", delete_webhook_endpoint)
    receiver.close()

    check_financial_connections_and_ach(client, base, args.key, run)
    # ---- fault rules against the SDK's own retries ------------------------
    # A key of its own, so these rules never touch the checks above.
    fault_key = "%s_faults_%s" % (args.key, run)
    retrying = stripe.StripeClient(
        fault_key, base_addresses={"api": base}, max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=args.timeout))

    def fault_rule(form):
        req = urllib.request.Request(
            base + "/v1/test_helpers/fault_rules", data=urllib.parse.urlencode(form).encode(),
            headers={"Authorization": "Bearer " + fault_key})
        with urllib.request.urlopen(req, timeout=args.timeout) as r:
            return json.load(r)

    def rule_counters(rule_id):
        req = urllib.request.Request(
            base + "/v1/test_helpers/fault_rules/" + rule_id, headers={"Authorization": "Bearer " + fault_key})
        with urllib.request.urlopen(req, timeout=args.timeout) as r:
            body = json.load(r)
        return body["matched"], body["fired"]

    def retried_through_a_drop():
        retry_email = "dropped+%s@example.com" % run
        rule = fault_rule({"match[method]": "POST", "match[path]": "/v1/customers", "trigger[nth]": "1",
                           "effect[drop]": "after"})
        c = retrying.v1.customers.create(params={"email": retry_email})
        found = retrying.v1.customers.list(params={"email": retry_email})
        expect([x.id for x in found.data], [c.id], "customers after a dropped create and the SDK's retry")
        expect(rule_counters(rule["id"]), (2, 1), "rule (matched, fired)")
    check("fault drop:after -> the SDK retries with its idempotency key, one customer", retried_through_a_drop)

    def retried_through_a_500():
        rule = fault_rule({"match[method]": "GET", "match[path]": "/v1/customers", "trigger[nth]": "1",
                           "effect[error][status]": "500"})
        retrying.v1.customers.list(params={"limit": 1})
        expect(rule_counters(rule["id"]), (2, 1), "rule (matched, fired)")
    check("fault 500 api_error -> the SDK retries (Stripe-Should-Retry)", retried_through_a_500)

    def rate_limited():
        fault_rule({"match[method]": "GET", "match[path]": "/v1/events", "effect[error][status]": "429"})
        try:
            retrying.v1.events.list()
        except stripe.RateLimitError as e:
            expect(e.http_status, 429, "http status")
            # The SDK builds RateLimitError without `code`; the parsed envelope has it.
            expect(e.error.code, "rate_limit", "error.code")
            expect(e.error.type, "invalid_request_error", "error.type")
            return
        raise AssertionError("expected stripe.RateLimitError")
    check("fault 429 -> stripe.RateLimitError (code rate_limit)", rate_limited)

    failed = sum(1 for _, ok in RESULTS if not ok)
    print("%d passed, %d failed" % (len(RESULTS) - failed, failed))
    return 1 if failed else 0


def wait_for(fetch, done, what, timeout=15.0):
    """Polls fetch() until done(value) (background work: refreshes, clock advances)."""
    import time
    deadline = time.time() + timeout
    value = fetch()
    while not done(value) and time.time() < deadline:
        time.sleep(0.05)
        value = fetch()
    assert done(value), "%s did not happen within %ss" % (what, timeout)
    return value


def check_financial_connections_and_ach(client, base, key, run):
    """The seed flow: a session for a customer (v1 and v2 customer_account), completed with the
    simulator's helper, then balances, ownership and transactions read through the SDK, then ACH
    debits from the linked account and from Stripe's test tokens settled on a test clock."""
    import requests

    test_oauth = "fcinst_Qn1a6jqpI0Gb84"
    mandate = {"customer_acceptance": {"type": "online",
                                       "online": {"ip_address": "127.0.0.1", "user_agent": "sdk-check"}}}

    def complete(session_id, accounts):
        # Simulator-only endpoint (the hosted flow's headless equivalent): plain HTTP.
        r = requests.post("%s/v1/test_helpers/financial_connections/sessions/%s/complete" % (base, session_id),
                          auth=(key, ""), data={"institution": test_oauth, "accounts[]": accounts}, timeout=15)
        assert r.status_code == 200, "complete helper answered %s: %s" % (r.status_code, r.text[:300])
        return r.json()

    def seed_session():
        cus = client.v1.customers.create(params={"email": "fc+%s@example.com" % run, "name": "Jenny Rosen"})
        s = client.v1.financial_connections.sessions.create(params={
            "account_holder": {"type": "customer", "customer": cus.id},
            "permissions": ["balances", "ownership", "payment_method", "transactions"],
        })
        assert str(s.id).startswith("fcsess_"), s.id
        assert str(s.client_secret).startswith("fcsess_client_secret_"), "client_secret"
        expect(len(s.accounts.data), 0, "accounts before completion")
        complete(s.id, ["checking-success"])
        again = client.v1.financial_connections.sessions.retrieve(s.id)
        expect(len(again.accounts.data), 1, "linked accounts")
        return cus, again.accounts.data[0]

    linked = check("fc sessions.create + complete helper links an account", seed_session)

    def v2_session():
        acct = client.v2.core.accounts.create(params={"display_name": "FC v2 %s" % run, "configuration": {"customer": {}}})
        s = client.v1.financial_connections.sessions.create(params={
            "account_holder": {"type": "customer", "customer_account": acct.id}, "permissions": ["payment_method"]})
        complete(s.id, ["savings"])
        page = client.v1.financial_connections.accounts.list(params={"account_holder": {"customer_account": acct.id}})
        expect([a.display_name for a in page.data], ["Savings"], "accounts of the v2 customer_account")

    check("fc session for a v2 customer_account", v2_session)

    def read_data():
        _, fca = need(linked, "a linked account")
        client.v1.financial_connections.accounts.refresh(fca.id, params={"features": ["balance", "ownership", "transactions"]})
        a = wait_for(lambda: client.v1.financial_connections.accounts.retrieve(fca.id),
                     lambda a: a.balance_refresh and a.balance_refresh.status == "succeeded"
                     and a.ownership_refresh and a.ownership_refresh.status == "succeeded"
                     and a.transaction_refresh and a.transaction_refresh.status == "succeeded", "refreshes")
        assert a.balance.current["usd"] > 0, "balance.current.usd"
        owners = client.v1.financial_connections.accounts.owners.list(a.id, params={"ownership": a.ownership})
        assert owners.data and owners.data[0].name, "owners"
        txns = client.v1.financial_connections.transactions.list(params={"account": a.id, "limit": 100})
        assert len(txns.data) >= 50, "expected a transaction history, got %d" % len(txns.data)

    check("fc refresh -> balance, owners, transactions via the SDK", read_data)

    def pay_from_linked():
        cus, fca = need(linked, "a linked account")
        pi = client.v1.payment_intents.create(params={
            "amount": 2000, "currency": "usd", "customer": cus.id, "payment_method_types": ["us_bank_account"],
            "payment_method_data": {"type": "us_bank_account", "billing_details": {"name": "Jenny Rosen"},
                                    "us_bank_account": {"financial_connections_account": fca.id}}})
        expect(pi.status, "requires_confirmation", "status after create")
        pi = client.v1.payment_intents.confirm(pi.id, params={"mandate_data": mandate})
        expect(pi.status, "processing", "status after confirm")
        assert str(pi.latest_charge).startswith("py_"), "latest_charge %r" % pi.latest_charge

    check("ach PaymentIntent from the linked account -> processing", pay_from_linked)

    def on_clock(token, frozen=1767618000):
        clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": frozen, "name": "sdk %s" % run})
        cus = client.v1.customers.create(params={"name": "Clock", "test_clock": clock.id})
        pi = client.v1.payment_intents.create(params={
            "amount": 1500, "currency": "usd", "customer": cus.id, "payment_method_types": ["us_bank_account"],
            "payment_method": token, "confirm": True, "mandate_data": mandate})
        expect(pi.status, "processing", "status after confirm")
        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": frozen + 5 * 86400})
        wait_for(lambda: client.v1.test_helpers.test_clocks.retrieve(clock.id), lambda c: c.status == "ready", "clock ready")
        return client.v1.payment_intents.retrieve(pi.id)

    def clock_success():
        expect(on_clock("pm_usBankAccount_success").status, "succeeded", "status after advancing 5 days")

    check("ach on a test clock: advancing 5 days -> succeeded", clock_success)

    for token, code in [("pm_usBankAccount_insufficientFunds", "insufficient_funds"),
                        ("pm_usBankAccount_accountClosed", "account_closed"),
                        ("pm_usBankAccount_noAccount", "no_account"),
                        ("pm_usBankAccount_debitNotAuthorized", "debit_not_authorized")]:
        def clock_failure(token=token, code=code):
            pi = on_clock(token)
            expect(pi.status, "requires_payment_method", "status")
            expect(pi.last_payment_error.code, code, "last_payment_error.code")

        check("ach %s -> requires_payment_method %s" % (token, code), clock_failure)


if __name__ == "__main__":
    sys.exit(main())
