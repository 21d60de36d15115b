#!/usr/bin/env python3
"""Drive a running stripe-sim with the official, unmodified `stripe` Python SDK.

    python3 .ci/sdk_check.py http://127.0.0.1:12111 [--key sk_test_...]

Only the base address differs from what an app team writes against real
Stripe: `stripe.StripeClient(key, base_addresses={"api": URL})`. Each check
prints one line ("ok" or "FAIL" with the reason); the last line is
`N passed, N failed` and the exit code is 1 when anything failed (an
unreachable server fails every check).

Written against stripe-python 16.x (also runs on 15.x: same constructor,
same services, same error classes).
"""
import argparse
import json
import sys
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


if __name__ == "__main__":
    sys.exit(main())
