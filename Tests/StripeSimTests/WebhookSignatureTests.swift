import Crypto
import Foundation
import Testing

@testable import StripeSim

@Suite struct WebhookSignatureTests {
    /// reference/webhooks.md §1.
    static let secret = "whsec_test_secret"
    static let body = #"{"id":"evt_1","object":"event"}"#
    static let expected = "0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd"

    @Test func matchesTheReferenceTestVector() {
        #expect(WebhookSignature.v1(payload: Self.body, secret: Self.secret, timestamp: 1_700_000_000) == Self.expected)
        #expect(
            WebhookSignature.header(payload: Self.body, secret: Self.secret, timestamp: 1_700_000_000, includeV0: false)
                == "t=1700000000,v1=\(Self.expected)"
        )
    }

    @Test func headerCarriesADecoyV0ThatVerifiersIgnore() throws {
        let header = WebhookSignature.header(payload: Self.body, secret: Self.secret, timestamp: 1_700_000_000)
        let parts = header.split(separator: ",").map(String.init)
        #expect(parts.count == 3)
        #expect(parts[0] == "t=1700000000")
        #expect(parts[1] == "v1=\(Self.expected)")
        #expect(parts[2].hasPrefix("v0=") && parts[2].count == 67 && parts[2] != "v0=\(Self.expected)")
        try WebhookSignature.verify(header: header, payload: Self.body, secret: Self.secret, now: 1_700_000_100)
    }

    @Test func theKeyIsTheWholeSecretString() {
        // HMAC keyed with the UTF-8 bytes of "whsec_test_secret" itself: no prefix stripping, no base64.
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("1700000000.\(Self.body)".utf8),
            using: SymmetricKey(data: Data(Self.secret.utf8))
        )
        #expect(mac.map { String(format: "%02x", $0) }.joined() == Self.expected)
    }

    @Test(arguments: [
        // (header, payload, now, expected error) — stripe-python's verify_header outcomes.
        ("t=1700000000,v1=\(expected)", body + " ", 1_700_000_000, WebhookSignature.VerificationError.noMatch),
        ("t=1700000000,v1=\(expected)", body, 1_700_000_301, .timestampOutsideTolerance(1_700_000_000)),
        ("t=1700000001,v1=\(expected)", body, 1_700_000_001, .noMatch),
        ("v1=\(expected)", body, 1_700_000_000, .malformedHeader),
        ("t=soon,v1=\(expected)", body, 1_700_000_000, .malformedHeader),
        ("t=1700000000,v0=\(expected)", body, 1_700_000_000, .noV1Signatures),
        ("t=1700000000,v1=\(String(repeating: "0", count: 64))", body, 1_700_000_000, .noMatch),
    ])
    func rejects(_ header: String, _ payload: String, _ now: Int, _ error: WebhookSignature.VerificationError) {
        #expect(throws: error) {
            try WebhookSignature.verify(header: header, payload: payload, secret: Self.secret, now: now)
        }
    }

    @Test func acceptsAnyMatchingV1FutureTimestampsAndZeroTolerance() throws {
        let header = "t=1700000000,v1=\(String(repeating: "a", count: 64)),v1=\(Self.expected)"
        try WebhookSignature.verify(header: header, payload: Self.body, secret: Self.secret, now: 1_700_000_000)
        // Only old timestamps fail; a clock behind the sender's is fine.
        try WebhookSignature.verify(header: header, payload: Self.body, secret: Self.secret, now: 1_600_000_000)
        // Tolerance 0 disables the age check.
        try WebhookSignature.verify(
            header: header,
            payload: Self.body,
            secret: Self.secret,
            tolerance: 0,
            now: 1_800_000_000
        )
        #expect(throws: WebhookSignature.VerificationError.noMatch) {
            try WebhookSignature.verify(header: header, payload: Self.body, secret: "whsec_other", now: 1_700_000_000)
        }
    }

    @Test func masksSecretsForLogs() {
        #expect(WebhookSignature.mask("whsec_abcdefghijklmnopWXYZ") == "whsec_****WXYZ")
        #expect(WebhookDispatcher.redacted("https://hook:s3cret@example.com/x") == "https://hook:****@example.com/x")
        #expect(WebhookDispatcher.redacted("http://127.0.0.1:4242/webhooks") == "http://127.0.0.1:4242/webhooks")
    }
}

@Suite struct WebhookScheduleTests {
    @Test func parsesRetrySchedules() {
        #expect(RetrySchedule.parse("1s,2s,4s") == RetrySchedule([.seconds(1), .seconds(2), .seconds(4)]))
        #expect(
            RetrySchedule.parse("250ms, 1.5s, 2m, 1h, 3")?.delays == [
                .milliseconds(250), .milliseconds(1500), .seconds(120), .seconds(3600), .seconds(3),
            ]
        )
        #expect(RetrySchedule.parse("none") == RetrySchedule([]))
        #expect(RetrySchedule.parse("1s,,2s") == nil)
        #expect(RetrySchedule.parse("soon") == nil)
        #expect(RetrySchedule.parse("-1s") == nil)
        #expect(RetrySchedule.parse("8d") == nil)
        #expect(RetrySchedule.default.description == "1s,2s,4s,8s,16s")
        #expect(RetrySchedule.default.maxAttempts == 6)
        #expect(RetrySchedule.default.delay(afterAttempt: 1) == .seconds(1))
        #expect(RetrySchedule.default.delay(afterAttempt: 6) == nil)
    }

    @Test func retriesFollowTheScheduleThenFail() {
        var d = WebhookDelivery(
            id: "whdel_1",
            created: 0,
            event: "evt_1",
            eventType: "customer.created",
            eventSeq: 1,
            endpoint: "we_1",
            url: "http://x"
        )
        let schedule = RetrySchedule([.seconds(1), .seconds(2)])
        func failed(_ at: Int) -> WebhookDelivery.Attempt {
            .init(
                attemptedAt: at,
                url: "http://x",
                statusCode: 500,
                error: "HTTP 500",
                latencyMs: 1,
                responseBodyExcerpt: "no"
            )
        }
        d.record(failed(0), nowMs: 10_000, schedule: schedule)
        #expect(d.status == .pending && d.nextAttemptAt == 11_000)
        d.record(failed(11), nowMs: 11_000, schedule: schedule)
        #expect(d.status == .pending && d.nextAttemptAt == 13_000)
        d.record(failed(13), nowMs: 13_000, schedule: schedule)
        #expect(d.status == .failed && d.nextAttemptAt == nil && d.attempts.count == 3)

        var redelivery = d
        redelivery.status = .pending
        redelivery.attempts = []
        redelivery.redelivery = true
        redelivery.record(failed(20), nowMs: 20_000, schedule: schedule)
        #expect(redelivery.status == .failed, "a redelivery is a single attempt")
    }

    @Test func matchesEventTypePatterns() {
        #expect(EventTypes.matches("customer.created", pattern: "*"))
        #expect(EventTypes.matches("customer.created", pattern: "customer.*"))
        #expect(EventTypes.matches("customer.created", pattern: "customer.created"))
        #expect(!EventTypes.matches("customer.created", pattern: "customer.updated"))
        #expect(EventTypes.matches("test_helpers.test_clock.ready", pattern: "*.ready"))
        #expect(EventTypes.matches("charge.dispute.created", pattern: "charge.*.created"))
        #expect(!EventTypes.matches("charge.created", pattern: "charge.*.created"))
        #expect(!EventTypes.matches("customer_cash_balance_transaction.created", pattern: "customer.*"))
        #expect(EventTypes.emitted.allSatisfy(EventTypes.subscribable.contains))
    }
}
