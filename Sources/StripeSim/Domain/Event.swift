import Foundation

/// An Event (`evt_`): a snapshot of an object at a state change. Written in the same transaction as the change,
/// so an acknowledged change always has its event (and, later, its webhook deliveries).
package struct Event: StoredResource, JSONBodyRepresentable, Equatable {
    package static let table = "event"
    package static let objectName = "event"

    package var id: String
    package var created: Int
    package var type: String
    /// `data.object` (v1 snapshot events) or the thin event's body (v2).
    package var object: JSONValue
    package var previousAttributes: JSONValue?
    package var requestID: String?
    package var idempotencyKey: String?
    package var apiVersion: String
    /// Endpoints this event was queued for that have not yet answered a delivery with a 2xx (set by `emit`,
    /// decremented by the dispatcher; the `--forward-to` target is not counted).
    package var pendingWebhooks = 0
    /// The test clock whose simulated time this event happened in, if any.
    package var testClock: String?

    package var columns: [String: IndexValue] { ["type": .text(type), "pendingWebhooks": .int(pendingWebhooks)] }

    /// Stored as a flat JSON object (see `JSONBodyRepresentable`).
    package var jsonBody: JSONValue {
        .object(membersButObject + [("object", object)])
    }

    package var jsonBodyText: String {
        var members = membersButObject
        members.insert(("object", object), at: 1)
        return JSONValue.serializedObject(members, pretty: false)
    }

    /// `jsonBody`'s members but `object`, in the order serialising it gives (`id`, then by key).
    private var membersButObject: [(key: String, value: JSONValue)] {
        [
            ("id", .string(id)),
            ("apiVersion", .string(apiVersion)),
            ("created", .int(created)),
            ("idempotencyKey", .optional(idempotencyKey)),
            ("pendingWebhooks", .int(pendingWebhooks)),
            ("previousAttributes", previousAttributes ?? .null),
            ("requestID", .optional(requestID)),
            ("testClock", .optional(testClock)),
            ("type", .string(type)),
        ]
    }

    /// The stored body (`jsonBody` serialised) with `object` spliced in as `objectText`, its serialisation
    /// already made for the response (`Store.insert` returns it), so a snapshot event does not serialise its
    /// object a second time.
    func storedBody(objectText: String) -> String {
        let text = JSONValue.serializedObject(membersButObject, pretty: false)  // `{"id":…}`: never empty
        return #"{"object":"# + objectText + "," + text.dropFirst()
    }

    /// Thin v2 events (`v2.core.account.created`) go to event destinations, never to `/v1/events`.
    package var isThin: Bool { type.hasPrefix("v2.") }

    package func render() -> JSONValue {
        if isThin { return object }
        var data: JSONValue = ["object": object]
        if let previousAttributes { data["previous_attributes"] = previousAttributes }
        return [
            "id": .string(id), "object": "event",
            "api_version": .string(apiVersion),
            "created": .int(created),
            "data": data,
            "livemode": false,
            "pending_webhooks": .int(pendingWebhooks),
            "request": ["id": .optional(requestID), "idempotency_key": .optional(idempotencyKey)],
            "type": .string(type),
        ]
    }
}

extension Event {
    package init(jsonBody j: JSONValue) throws {
        guard let id = j["id"]?.stringValue, let created = j["created"]?.intValue, let type = j["type"]?.stringValue
        else { throw StripeError(status: 500, type: "api_error", message: "A stored event is malformed.") }
        self.init(
            id: id,
            created: created,
            type: type,
            object: j["object"] ?? .null,
            previousAttributes: j["previousAttributes"].flatMap { $0 == .null ? JSONValue?.none : $0 },
            requestID: j["requestID"]?.stringValue,
            idempotencyKey: j["idempotencyKey"]?.stringValue,
            apiVersion: j["apiVersion"]?.stringValue ?? StripeVersion.current,
            pendingWebhooks: j["pendingWebhooks"]?.intValue ?? 0,
            testClock: j["testClock"]?.stringValue
        )
    }

}

extension Store {
    /// Records a v1 snapshot event for `object` (already rendered). `previous` is the object's rendering before an
    /// update: `data.previous_attributes` then holds the old values of what changed.
    ///
    /// In the same transaction, queues one webhook delivery per enabled endpoint whose `enabled_events` match
    /// (and the `--forward-to` target), and sets `pending_webhooks` to the number of endpoints.
    ///
    /// `objectText`: `object` serialised (the stored API body `Store.insert`/`update` returned), stored as it is.
    @discardableResult
    package func emit(
        _ type: String,
        _ object: JSONValue,
        previous: JSONValue? = nil,
        automatic: Bool = false,
        objectText: String? = nil
    )
        throws -> Event
    {
        var event = newEvent(type, object, previous: previous, automatic: automatic)
        try insertQueuingWebhooks(&event, objectText: objectText)
        return event
    }

    /// Records the `type` event of an object just created, given only as its stored API body (the text
    /// `Store.insert` returned), as `emit` would: a create has nothing to diff, and the event is stored with that
    /// text spliced in (`Event.storedBody`), so the object need not exist as a `JSONValue` (rendering one was a
    /// twentieth of a create). Returns nothing: the `Event` made here has no `object` value.
    package func emitCreated(_ type: String, objectText: String) throws {
        var event = newEvent(type, .null, previous: nil, automatic: false)
        try insertQueuingWebhooks(&event, objectText: objectText)
    }

    private func newEvent(_ type: String, _ object: JSONValue, previous: JSONValue?, automatic: Bool) -> Event {
        Event(
            id: ids.make("evt"),
            created: eventTime ?? now,
            type: type,
            object: object,
            previousAttributes: previous.flatMap { JSONDiff.previousAttributes(old: $0, new: object) },
            requestID: automatic ? nil : context.requestID,
            idempotencyKey: automatic ? nil : context.idempotencyKey,
            apiVersion: StripeVersion.current,
            testClock: eventClock ?? context.runningClock
        )
    }

    /// Records a thin v2 event (`object: v2.core.event`) about a v2 object.
    package func emitThin(_ type: String, relatedID: String, relatedType: String, relatedURL: String) throws {
        let id = ids.make("evt")
        let body: JSONValue = [
            "id": .string(id), "object": "v2.core.event", "type": .string(type),
            "created": .string(Date(timeIntervalSince1970: TimeInterval(now)).rfc3339Millis),
            "livemode": false, "context": nil,
            "reason": context.requestID.map { rid in
                [
                    "type": "request",
                    "request": ["id": .string(rid), "idempotency_key": .optional(context.idempotencyKey)],
                ]
            } ?? .null,
            "related_object": ["id": .string(relatedID), "type": .string(relatedType), "url": .string(relatedURL)],
        ]
        try insert(
            Event(
                id: id,
                created: now,
                type: type,
                object: body,
                previousAttributes: nil,
                requestID: context.requestID,
                idempotencyKey: context.idempotencyKey,
                apiVersion: StripeVersion.current
            )
        )
    }
}

/// `previous_attributes`: the old values of the keys that changed (nested objects diffed key by key, arrays whole).
package enum JSONDiff {
    package static func previousAttributes(old: JSONValue, new: JSONValue) -> JSONValue? {
        guard case .object(let o) = old, case .object(let n) = new else { return old == new ? nil : old }
        var out: [String: JSONValue] = [:]
        for key in Set(o.keys).union(n.keys) {
            let ov = o[key] ?? .null
            let nv = n[key] ?? .null
            if ov == nv { continue }
            if case .object = ov, case .object = nv, let d = previousAttributes(old: ov, new: nv) {
                out[key] = d
            } else {
                out[key] = ov
            }
        }
        return out.isEmpty ? nil : .object(out)
    }
}
