import Foundation

/// A webhook endpoint (`we_`): a URL that receives signed POSTs of the account's events whose type it enabled.
/// The secret (`whsec_…`) is returned by the create call only.
///
/// The `--forward-to` target is stored as one more endpoint (`Forwarding.endpointID`, outside every account,
/// `forward = true`), so forwarded events use the same durable queue and dispatcher.
package struct WebhookEndpoint: StoredResource, Equatable {
    package static let table = "webhookEndpoint"
    package static let objectName = "webhook_endpoint"

    package var id: String
    package var created: Int
    package var url: String
    package var enabledEvents: [String]
    package var description: String?
    package var metadata: [String: String] = [:]
    package var apiVersion: String?
    /// Receives events of connected accounts instead of the account's own. The simulator has no connected
    /// accounts (every key is its own account), so such an endpoint receives nothing.
    package var connect = false
    package var status = Status.enabled
    package var secret: String
    /// The `--forward-to` target rather than an endpoint of an account.
    package var forward = false
    package var deleted = false

    package enum Status: String, Codable, Sendable { case enabled, disabled }

    package var columns: [String: IndexValue] {
        ["status": .text(status.rawValue), "forward": .int(forward ? 1 : 0), "deleted": .int(deleted ? 1 : 0)]
    }

    /// Whether an event of `type` is delivered here (thin v2 events never are).
    package func receives(_ type: String) -> Bool {
        status == .enabled && !deleted && !connect && !type.hasPrefix("v2.")
            && EventTypes.matches(type, anyOf: enabledEvents)
    }

    /// The wire shape; `secret` only in the create response.
    package func render(includeSecret: Bool = false) -> JSONValue {
        if deleted { return Self.deletedStub(id) }
        var out: JSONValue = [
            "id": .string(id), "object": "webhook_endpoint",
            "api_version": .optional(apiVersion),
            "application": nil,
            "created": .int(created),
            "description": .optional(description),
            "enabled_events": .strings(enabledEvents),
            "livemode": false,
            "metadata": .stringMap(metadata),
            "status": .string(status.rawValue),
            "url": .string(url),
        ]
        if includeSecret { out["secret"] = .string(secret) }
        return out
    }

    package static func deletedStub(_ id: String) -> JSONValue {
        ["id": .string(id), "object": "webhook_endpoint", "deleted": true]
    }

    /// A new signing secret: `whsec_` + 32 random characters.
    package static func makeSecret(_ ids: IDGenerator = .random) -> String { "whsec_" + ids.token(32) }
}

// MARK: - Parameters → changes

extension WebhookEndpoint {
    package static let createSchema: ParamSchema = [
        "url": .string(max: 5000).isRequired,
        "enabled_events": Param.array(.string(max: 5000)).isRequired,
        "description": .string(max: 5000).isEmptyable,
        "metadata": .metadata,
        "api_version": .string(max: 5000),
        "connect": .boolean,
    ]

    /// `secret`, `api_version` and `connect` cannot be changed (Stripe answers `parameter_unknown`).
    package static let updateSchema: ParamSchema = [
        "url": .string(max: 5000),
        "enabled_events": .array(.string(max: 5000)),
        "description": .string(max: 5000).isEmptyable,
        "disabled": .boolean,
        "metadata": .metadata,
    ]

    /// Applies create/update parameters (already type-checked).
    package mutating func apply(_ p: Params) throws(StripeError) {
        if let url = p.string("url") {
            try Self.validateURL(url)
            self.url = url
        }
        if let events = p.strings("enabled_events") {
            self.enabledEvents = try Self.validateEnabledEvents(events)
        }
        if p.isUnset("description") {
            description = nil
        } else if let d = p.string("description") {
            description = d
        }
        if let m = p.metadataUpdate() { metadata = m.applied(to: metadata) }
        if let v = p.string("api_version") {
            guard StripeVersion.isWellFormed(v) else {
                throw .validation("Invalid api_version: \(v)", param: "api_version")
            }
            apiVersion = v
        }
        if let c = p.bool("connect") { connect = c }
        if let d = p.bool("disabled") { status = d ? .disabled : .enabled }
    }

    /// An absolute `http`/`https` URL with a host. Local addresses are allowed (the point of a simulator);
    /// Stripe's own check also demands a public address.
    package static func validateURL(_ url: String) throws(StripeError) {
        let invalid = StripeError(
            status: 400,
            code: "url_invalid",
            message: "Invalid URL: \(url). The URL must be an absolute http:// or https:// URL with a host.",
            param: "url",
            isValidationFailure: true
        )
        guard !url.contains(where: { $0.isWhitespace }), let components = URLComponents(string: url),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else { throw invalid }
        if let port = components.port, !(1...65535).contains(port) { throw invalid }
    }

    /// `*` or known event names; an empty list or an unknown name is a 400 naming `enabled_events[N]`.
    package static func validateEnabledEvents(_ events: [String]) throws(StripeError) -> [String] {
        if events.isEmpty {
            throw .validation("You must pass at least one event in enabled_events.", param: "enabled_events")
        }
        for (i, name) in events.enumerated()
        where name != EventTypes.wildcard && !EventTypes.subscribable.contains(name) {
            throw .validation(
                "Invalid enabled_events[\(i)]: \(name) is not a valid event type. Use `*` for every event, or event types such as customer.created.",
                param: "enabled_events[\(i)]"
            )
        }
        var seen = Set<String>()
        return events.filter { seen.insert($0).inserted }
    }
}

/// The `--forward-to` target, kept as a webhook endpoint row outside every account.
package enum Forwarding {
    package static let endpointID = "we_forward_to"
    /// Not a real account: no API key maps to it, so the row never shows in a list.
    package static let account = "forward"
}
