import Foundation
import GRDB

/// The first pending delivery of a lane whose endpoint is enabled: what the dispatcher may send next there.
package struct WebhookLaneHead: Sendable, Equatable {
    package var lane: String
    package var account: String
    package var delivery: String
    /// Unix ms (wall time); 0 = now.
    package var nextAttemptAt: Int
}

/// One attempt to make: the exact bytes to POST, where, and the key to sign them with.
package struct WebhookJob: Sendable {
    package var account: String
    package var delivery: WebhookDelivery
    package var url: String
    package var secret: String
    package var payload: String
    /// The attempt number this will be (1-based).
    package var attemptNumber: Int { delivery.attempts.count + 1 }
}

/// The `--forward-to` target as configured at start.
package struct ForwardTarget: Sendable, Equatable {
    package var url: String
    package var secret: String
    package var events: [String]

    package init(url: String, secret: String, events: [String] = ["*"]) {
        self.url = url
        self.secret = secret
        self.events = events
    }
}

/// The dispatcher's cross-account queue operations (every other use goes through an account's `Store`).
extension AppDatabase {
    /// The head of every lane with a pending delivery to an enabled endpoint, all accounts (SQLite takes the
    /// bare columns from the row holding `MIN(eventSeq)`).
    package func webhookLaneHeads() async throws -> [WebhookLaneHead] {
        try await mapErrors {
            try await readDatabase { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT d.lane, d.account, d.id, COALESCE(d.nextAttemptAt, 0) AS due, MIN(d.eventSeq)
                        FROM webhookDelivery d JOIN webhookEndpoint e ON e.id = d.endpoint
                        WHERE d.status = 'pending' AND e.status = 'enabled' AND e.deleted = 0
                        GROUP BY d.lane
                        """
                ).map {
                    WebhookLaneHead(
                        lane: $0["lane"],
                        account: $0["account"],
                        delivery: $0["id"],
                        nextAttemptAt: $0["due"]
                    )
                }
            }
        }
    }

    /// The next attempt of `lane` if its head is due at `nowMs`, rendered from storage now (so the body shows
    /// the current `pending_webhooks`); nil when the lane has nothing due. A head whose event or endpoint has
    /// vanished is failed on the spot, so it cannot block its lane.
    package func nextWebhookJob(
        lane: String,
        nowMs: Int,
        context: @escaping @Sendable (String) -> StoreContext
    )
        async throws -> WebhookJob?
    {
        try await mapErrors {
            try await writer.write { db in
                guard
                    let head = try Row.fetchOne(
                        db,
                        sql: """
                            SELECT account, id FROM webhookDelivery WHERE status = 'pending' AND lane = ?
                            ORDER BY eventSeq, seq LIMIT 1
                            """,
                        arguments: [lane]
                    )
                else { return nil }
                let store = Store(db, context(head["account"]), hints: hints)
                guard var delivery = try store.find(WebhookDelivery.self, head["id"]) else { return nil }
                guard let endpoint = try store.webhookEndpoint(anyAccount: delivery.endpoint), !endpoint.deleted,
                    let event = try store.find(Event.self, delivery.event)
                else {
                    delivery.cancel()
                    try store.update(delivery)
                    return nil
                }
                guard endpoint.status == .enabled, (delivery.nextAttemptAt ?? 0) <= nowMs else { return nil }
                return WebhookJob(
                    account: store.account,
                    delivery: delivery,
                    url: endpoint.url,
                    secret: endpoint.secret,
                    payload: event.render().serialized()
                )
            }
        }
    }

    /// Stores the attempt's outcome (see `Store.recordWebhookAttempt`).
    package func recordWebhookAttempt(
        _ job: WebhookJob,
        _ attempt: WebhookDelivery.Attempt,
        nowMs: Int,
        schedule: RetrySchedule,
        context: StoreContext
    ) async throws -> WebhookDelivery? {
        try await write(context) { store in
            try store.recordWebhookAttempt(job.delivery.id, attempt, nowMs: nowMs, schedule: schedule)
        }.0
    }

    /// Creates, updates or (with `nil`) disables the `--forward-to` target. Deliveries queued for it by an
    /// earlier run wait while it is disabled and go to the current URL, signed with the current secret, once
    /// forwarding is on again.
    package func configureForwarding(_ target: ForwardTarget?, now: Int) async throws {
        let context = StoreContext(account: Forwarding.account, now: now, ids: .random)
        _ = try await write(context) { store in
            if var endpoint = try store.find(WebhookEndpoint.self, Forwarding.endpointID) {
                if let target {
                    endpoint.url = target.url
                    endpoint.secret = target.secret
                    endpoint.enabledEvents = target.events
                    endpoint.status = .enabled
                } else {
                    endpoint.status = .disabled
                }
                try store.update(endpoint)
            } else if let target {
                try store.insert(
                    WebhookEndpoint(
                        id: Forwarding.endpointID,
                        created: now,
                        url: target.url,
                        enabledEvents: target.events,
                        description: "--forward-to",
                        secret: target.secret,
                        forward: true
                    )
                )
            }
        }
    }
}
