import Foundation
import GRDB

/// The webhook queue's storage operations, inside the caller's transaction.
extension Store {
    /// Inserts `event` and, in the same transaction, one pending delivery per endpoint that receives it (the
    /// account's enabled, matching endpoints and the `--forward-to` target); sets `pending_webhooks`.
    func insertQueuingWebhooks(_ event: inout Event, objectText: String? = nil) throws {
        let targets = event.isThin ? [] : try receivingEndpoints(event.type)
        event.pendingWebhooks = targets.filter { !$0.forward }.count
        try insert(event, body: objectText.map(event.storedBody(objectText:)))
        guard !targets.isEmpty else { return }
        let eventSeq = Int(db.lastInsertedRowID)
        for endpoint in targets {
            try insert(
                WebhookDelivery(
                    id: ids.make("whdel"),
                    created: now,
                    event: event.id,
                    eventType: event.type,
                    eventSeq: eventSeq,
                    endpoint: endpoint.id,
                    url: endpoint.url,
                    forwarded: endpoint.forward
                )
            )
        }
        signals.insert(.webhooksQueued)
    }

    /// The account's endpoints plus the forward target that would receive an event of `type` now.
    func receivingEndpoints(_ type: String) throws -> [WebhookEndpoint] {
        guard hints.webhookEndpointsMayExist else { return [] }
        return try String.fetchAll(
            cached: db,
            sql: """
                SELECT body FROM webhookEndpoint
                WHERE (account = ? OR forward = 1) AND status = 'enabled' AND deleted = 0 ORDER BY seq
                """,
            arguments: [account]
        ).map { try Self.decodeBody(WebhookEndpoint.self, $0) }.filter { $0.receives(type) }
    }

    /// An endpoint by id in any account (the forward target lives outside every account).
    func webhookEndpoint(anyAccount id: String) throws -> WebhookEndpoint? {
        try String.fetchOne(cached: db, sql: "SELECT body FROM webhookEndpoint WHERE id = ?", arguments: [id])
            .map { try Self.decodeBody(WebhookEndpoint.self, $0) }
    }

    /// Redelivers event `eventID` (`POST /v1/test_helpers/events/:id/redeliver` and the dashboard's button): a
    /// new single-attempt delivery to endpoint `endpointID`, or, without one, to every enabled endpoint that
    /// receives the event (and the `--forward-to` target).
    package func redeliver(event eventID: String, to endpointID: String?) throws -> [WebhookDelivery] {
        let event = try get(Event.self, eventID)
        if event.isThin { throw StripeError.resourceMissing("event", event.id) }
        let targets: [WebhookEndpoint]
        if let endpointID {
            let endpoint = try get(WebhookEndpoint.self, endpointID, param: "webhook_endpoint")
            if endpoint.deleted {
                throw StripeError.resourceMissing(WebhookEndpoint.objectName, endpointID, param: "webhook_endpoint")
            }
            if endpoint.status != .enabled {
                throw StripeError.invalidRequest(
                    "The webhook endpoint \(endpointID) is disabled; enable it (disabled=false) to deliver to it.",
                    param: "webhook_endpoint"
                )
            }
            targets = [endpoint]
        } else {
            targets = try receivingEndpoints(event.type)
            if targets.isEmpty {
                throw StripeError.invalidRequest(
                    "No enabled webhook endpoint receives \(event.type) events, so there is nothing to redeliver \(event.id) to. Create one with POST /v1/webhook_endpoints, or pass webhook_endpoint."
                )
            }
        }
        return try targets.map { try queueRedelivery(of: event, to: $0) }
    }

    /// `POST /v1/test_helpers/events/:id/redeliver`: a new delivery of `event` to `endpoint` (a single attempt,
    /// in the endpoint's redelivery lane, so pending retries of the original neither block nor get canceled).
    package func queueRedelivery(of event: Event, to endpoint: WebhookEndpoint) throws -> WebhookDelivery {
        let seq =
            try Int.fetchOne(
                cached: db,
                sql: "SELECT seq FROM event WHERE id = ? AND account = ?",
                arguments: [event.id, account]
            )
            ?? 0
        let delivery = WebhookDelivery(
            id: ids.make("whdel"),
            created: now,
            event: event.id,
            eventType: event.type,
            eventSeq: seq,
            endpoint: endpoint.id,
            url: endpoint.url,
            redelivery: true,
            forwarded: endpoint.forward
        )
        try insert(delivery)
        signals.insert(.webhooksQueued)
        return delivery
    }

    /// Records an attempt on a delivery of this account. The first 2xx of an endpoint counted in the event's
    /// `pending_webhooks` decrements it. Returns the updated delivery (nil if it no longer exists).
    package func recordWebhookAttempt(
        _ deliveryID: String,
        _ attempt: WebhookDelivery.Attempt,
        nowMs: Int,
        schedule: RetrySchedule
    ) throws -> WebhookDelivery? {
        guard var delivery = try find(WebhookDelivery.self, deliveryID) else { return nil }
        let wasPending = delivery.status == .pending
        delivery.url = attempt.url
        delivery.record(attempt, nowMs: nowMs, schedule: schedule)
        try update(delivery)
        guard attempt.succeeded, wasPending, !delivery.forwarded else { return delivery }
        // Counted: the endpoint got an original (non-redelivery) delivery of this event when it was written.
        let counted =
            try Int.fetchOne(
                cached: db,
                sql: """
                    SELECT COUNT(*) FROM webhookDelivery
                    WHERE account = ? AND event = ? AND endpoint = ? AND lane = endpoint
                    """,
                arguments: [account, delivery.event, delivery.endpoint]
            ) ?? 0
        let otherSuccesses =
            try Int.fetchOne(
                cached: db,
                sql: """
                    SELECT COUNT(*) FROM webhookDelivery
                    WHERE account = ? AND event = ? AND endpoint = ? AND status = 'succeeded' AND id != ?
                    """,
                arguments: [account, delivery.event, delivery.endpoint, delivery.id]
            ) ?? 0
        if counted > 0, otherSuccesses == 0, var event = try find(Event.self, delivery.event), event.pendingWebhooks > 0
        {
            event.pendingWebhooks -= 1
            try update(event)
        }
        return delivery
    }

    /// Fails every pending delivery to `endpoint` (it was deleted: Stripe stops retrying).
    func cancelWebhookDeliveries(endpoint: String) throws {
        for var delivery in try all(
            WebhookDelivery.self,
            where: [.equals("endpoint", .text(endpoint)), .equals("status", .text("pending"))]
        ) {
            delivery.cancel()
            try update(delivery)
        }
    }

    private static func decodeBody<T: Decodable>(_ type: T.Type, _ body: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(body.utf8))
    }
}

extension Store {
    /// A test clock moved past its events' retry times: their pending webhook retries are due now.
    package func fastForwardWebhookRetries(clock: String) throws {
        var any = false
        for var delivery in try all(WebhookDelivery.self, where: [.equals("status", .text("pending"))])
        where (delivery.nextAttemptAt ?? 0) > 0 {
            guard try find(Event.self, delivery.event)?.testClock == clock else { continue }
            delivery.nextAttemptAt = 0
            try update(delivery)
            any = true
        }
        if any { signals.insert(.webhooksQueued) }
    }
}
