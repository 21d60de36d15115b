import Foundation

/// An Accounts v2 account (`acct_`, `v2.core.account`) used as a customer: `configuration.customer` is what the
/// simulator models in depth; `merchant`, `recipient` and `identity` are kept as given (objects), `defaults` as
/// validated and merged.
package struct V2Account: StoredResource, Equatable {
    package static let table = "v2Account"
    package static let objectName = "account"
    package static let includable = [
        "configuration.customer", "configuration.merchant", "configuration.recipient", "defaults",
        "future_requirements", "identity", "requirements",
    ]

    package var id: String
    package var created: Int
    package var contactEmail: String?
    package var contactPhone: String?
    package var displayName: String?
    package var dashboard: String?
    package var metadata: [String: String] = [:]
    package var closed = false
    package var customer: JSONValue?
    package var merchant: JSONValue?
    package var recipient: JSONValue?
    package var identity: JSONValue?
    package var defaults: JSONValue?

    package var columns: [String: IndexValue] { ["closed": .int(closed ? 1 : 0)] }

    package var appliedConfigurations: [String] {
        var out: [String] = []
        if customer?["applied"] == true { out.append("customer") }
        if merchant?["applied"] == true { out.append("merchant") }
        if recipient?["applied"] == true { out.append("recipient") }
        return out
    }

    /// The customer configuration's test clock, if any.
    package var testClock: String? { customer?["test_clock"]?.stringValue }

    /// The v2 wire shape. Include-dependent properties appear only when requested; unset properties are omitted
    /// (v2 responses carry no `null` members).
    package func render(include: Set<String>) -> JSONValue {
        var out: [String: JSONValue] = [
            "id": .string(id), "object": "v2.core.account",
            "applied_configurations": .strings(appliedConfigurations),
            "closed": .bool(closed),
            "created": .string(Date(timeIntervalSince1970: TimeInterval(created)).rfc3339Millis),
            "livemode": false,
            "metadata": .stringMap(metadata),
        ]
        if let contactEmail { out["contact_email"] = .string(contactEmail) }
        if let contactPhone { out["contact_phone"] = .string(contactPhone) }
        if let displayName { out["display_name"] = .string(displayName) }
        if let dashboard { out["dashboard"] = .string(dashboard) }
        var configuration: [String: JSONValue] = [:]
        for (name, value) in [("customer", customer), ("merchant", merchant), ("recipient", recipient)]
        where include.contains("configuration.\(name)") {
            if let value { configuration[name] = value }
        }
        if !configuration.isEmpty { out["configuration"] = .object(configuration) }
        if include.contains("identity"), let identity { out["identity"] = identity }
        if include.contains("defaults") { out["defaults"] = renderedDefaults }
        if include.contains("requirements") { out["requirements"] = ["entries": []] }
        if include.contains("future_requirements") { out["future_requirements"] = ["entries": []] }
        return Self.droppingNulls(.object(out))
    }

    /// `defaults` as Stripe renders it when included: with `responsibilities` always (since 2025-12-15), whose
    /// `requirements_collector` the simulator derives: the platform (`application`) when it bears the account's
    /// losses, otherwise `stripe`.
    var renderedDefaults: JSONValue {
        var out = defaults ?? [:]
        var responsibilities = out["responsibilities"] ?? [:]
        responsibilities["requirements_collector"] =
            responsibilities["losses_collector"] == "application" ? "application" : "stripe"
        out["responsibilities"] = responsibilities
        return out
    }

    /// A v2 update of a nested object: members given replace, `null` removes, nested objects merge.
    static func merged(_ base: JSONValue?, _ patch: JSONValue) -> JSONValue? {
        guard case .object(let changes) = patch else { return patch == .null ? nil : patch }
        guard case .object(var out) = base ?? [:] else { return patch }
        for (key, value) in changes {
            if case .object = value {
                out[key] = merged(out[key], value)
            } else if value == .null {
                out[key] = nil
            } else {
                out[key] = value
            }
        }
        return .object(out)
    }

    package static func droppingNulls(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let o): .object(o.filter { $0.value != .null }.mapValues(droppingNulls))
        case .array(let a): .array(a.map(droppingNulls))
        default: v
        }
    }
}

// MARK: - Parameters

extension V2Account {
    static let addressSchema: ParamSchema = [
        "city": .string(max: 200), "country": .string(max: 2), "line1": .string(max: 200), "line2": .string(max: 200),
        "postal_code": .string(max: 20), "state": .string(max: 200),
    ]

    /// `defaults.locales[]` values (Stripe's list).
    static let locales = [
        "ar-SA", "bg", "bg-BG", "cs", "cs-CZ", "da", "da-DK", "de", "de-DE", "el", "el-GR", "en", "en-AU", "en-CA",
        "en-GB", "en-IE", "en-IN", "en-NZ", "en-SG", "en-US", "es", "es-419", "es-ES", "et", "et-EE", "fi", "fil",
        "fil-PH", "fi-FI", "fr", "fr-CA", "fr-FR", "he-IL", "hr", "hr-HR", "hu", "hu-HU", "id", "id-ID", "it",
        "it-IT", "ja", "ja-JP", "ko", "ko-KR", "lt", "lt-LT", "lv", "lv-LV", "ms", "ms-MY", "mt", "mt-MT", "nb",
        "nb-NO", "nl", "nl-NL", "pl", "pl-PL", "pt", "pt-BR", "pt-PT", "ro", "ro-RO", "ru", "ru-RU", "sk", "sk-SK",
        "sl", "sl-SI", "sv", "sv-SE", "th", "th-TH", "tr", "tr-TR", "vi", "vi-VN", "zh", "zh-Hans", "zh-Hant-HK",
        "zh-Hant-TW", "zh-HK", "zh-TW",
    ]

    static let customerSchema: ParamSchema = [
        "applied": .boolean,
        "automatic_indirect_tax": .hash([
            "exempt": .oneOf("exempt", "none", "reverse"), "ip_address": .string(max: 100),
            "validate_location": .oneOf("auto", "deferred", "immediately"),
        ]),
        "billing": .hash([
            "default_payment_method": .string(max: 5000),
            "invoice": .hash([
                "custom_fields": .array(
                    .hash(["name": .string(max: 40).isRequired, "value": .string(max: 140).isRequired]),
                    max: 4
                ),
                "footer": .string(max: 5000), "next_sequence": .integer(min: 1), "prefix": .string(max: 12),
                "rendering": .hash([
                    "amount_tax_display": .oneOf("exclude_tax", "include_inclusive_tax"),
                    "template": .string(max: 5000),
                ]),
            ]),
        ]),
        "capabilities": .hash(["automatic_indirect_tax": .hash(["requested": .boolean.isRequired])]),
        "shipping": .hash(["address": .hash(addressSchema), "name": .string(max: 5000), "phone": .string(max: 50)]),
        "test_clock": .string(max: 5000),
    ]

    static func schema(update: Bool) -> ParamSchema {
        [
            "account_token": .string(max: 5000),
            "configuration": .hash(["customer": .hash(customerSchema), "merchant": .object, "recipient": .object]),
            "contact_email": .string(max: 800).isEmptyable,
            "contact_phone": .string(max: 50).isEmptyable,
            "dashboard": .oneOf("express", "full", "none"),
            "defaults": .hash([
                "currency": Param.string(max: 3).isEmptyable, "locales": .array(.oneOf(locales)),
                "profile": .hash([
                    "business_url": Param.string(max: 5000).isEmptyable,
                    "doing_business_as": Param.string(max: 5000).isEmptyable,
                    "product_description": Param.string(max: 5000).isEmptyable,
                ]),
                "responsibilities": .hash([
                    "fees_collector": Param.oneOf("application", "application_custom", "application_express", "stripe")
                        .isRequired,
                    "losses_collector": Param.oneOf("application", "stripe").isRequired,
                ]),
            ]),
            "display_name": .string(max: 5000).isEmptyable,
            "identity": .object,
            "include": .array(.oneOf(includable)),
            "metadata": .metadata,
        ]
    }

    /// Applies a create/update body. `prefix` seeds a new customer configuration's invoice prefix.
    mutating func apply(
        _ p: Params,
        isCreate: Bool,
        invoicePrefix: String,
        personID: String,
        now: Int
    )
        throws(StripeError)
    {
        if p.has("contact_email") {
            if let email = p.string("contact_email") { try Customer.validateEmail(email, param: "contact_email") }
            contactEmail = p.string("contact_email")
        }
        if p.has("contact_phone") { contactPhone = p.string("contact_phone") }
        if p.has("display_name") { displayName = p.string("display_name") }
        if let d = p.string("dashboard") { dashboard = d }
        if let m = p.metadataUpdate() { metadata = m.applied(to: metadata) }
        if var identity = p.json("identity") {
            // The individual is a person object of its own (id, account, timestamps), as Stripe renders it.
            if case .object = identity["individual"] ?? .null {
                var person = identity["individual"]!
                let existing = self.identity?["individual"]
                let stamp = JSONValue.string(Date(timeIntervalSince1970: TimeInterval(now)).rfc3339Millis)
                person["id"] = existing?["id"] ?? .string(personID)
                person["object"] = "v2.core.account_person"
                person["account"] = .string(id)
                person["created"] = existing?["created"] ?? stamp
                person["updated"] = stamp
                identity["individual"] = person
            }
            self.identity = identity
        }
        if let defaults = p.json("defaults") { self.defaults = Self.merged(self.defaults, defaults) }
        guard let configuration = p.hash("configuration") else { return }
        if let merchant = configuration.json("merchant") { self.merchant = Self.applied(merchant) }
        if let recipient = configuration.json("recipient") { self.recipient = Self.applied(recipient) }
        guard let c = configuration.hash("customer") else { return }
        let isNew = customer == nil
        if !isNew, c.has("test_clock") {
            throw .validation(
                "test_clock can only be set when the customer configuration is first applied.",
                param: "configuration.customer.test_clock"
            )
        }
        var cfg: JSONValue =
            customer ?? [
                "applied": true,
                "automatic_indirect_tax": ["exempt": "none", "location_source": "identity_address"],
                "billing": ["invoice": ["custom_fields": [], "next_sequence": 1, "prefix": .string(invoicePrefix)]],
            ]
        if let applied = c.bool("applied") { cfg["applied"] = .bool(applied) }
        if let tax = c.hash("automatic_indirect_tax") {
            var t = cfg["automatic_indirect_tax"] ?? [:]
            if let e = tax.string("exempt") { t["exempt"] = .string(e) }
            if let ip = tax.string("ip_address") { t["ip_address"] = .string(ip) }
            cfg["automatic_indirect_tax"] = t
        }
        if let billing = c.hash("billing") {
            var b = cfg["billing"] ?? [:]
            if let pm = billing.string("default_payment_method") { b["default_payment_method"] = .string(pm) }
            if let inv = billing.hash("invoice") {
                var i = b["invoice"] ?? ["custom_fields": []]
                if let fields = inv.json("custom_fields") { i["custom_fields"] = fields }
                if let footer = inv.string("footer") { i["footer"] = .string(footer) }
                if let n = inv.int("next_sequence") { i["next_sequence"] = .int(n) }
                if let prefix = inv.string("prefix") {
                    guard (3...12).contains(prefix.count),
                        prefix.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) })
                    else {
                        throw .validation(
                            "Invalid prefix: must be 3 to 12 uppercase letters or numbers",
                            param: "configuration.customer.billing.invoice.prefix"
                        )
                    }
                    i["prefix"] = .string(prefix)
                }
                if let r = inv.json("rendering") { i["rendering"] = r }
                b["invoice"] = i
            }
            cfg["billing"] = b
        }
        if let caps = c.hash("capabilities")?.hash("automatic_indirect_tax"), let requested = caps.bool("requested") {
            cfg["capabilities"] =
                requested
                ? ["automatic_indirect_tax": ["status": "active", "status_details": []]] : nil
        }
        if let shipping = c.json("shipping") { cfg["shipping"] = shipping }
        if let clock = c.string("test_clock") { cfg["test_clock"] = .string(clock) }
        customer = Self.droppingNulls(cfg)
    }

    private static func applied(_ v: JSONValue) -> JSONValue {
        var out = v
        if case .object = out, out["applied"] == nil { out["applied"] = true }
        return out
    }
}
