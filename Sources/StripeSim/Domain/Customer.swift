import Foundation

/// A v1 Customer (`cus_`). Pass-through bags (address, shipping, invoice settings, tax) stay JSON; what the API
/// filters on (email, test clock, v2 account, deleted) is also a column.
package struct Customer: StoredResource, JSONBodyRepresentable, Equatable {
    package static let table = "customer"
    package static let objectName = "customer"

    package var id: String
    package var created: Int
    package var email: String?
    package var name: String?
    package var description: String?
    package var phone: String?
    package var businessName: String?
    package var individualName: String?
    package var address: JSONValue?
    package var shipping: JSONValue?
    package var balance = 0
    package var currency: String?
    package var invoicePrefix: String
    package var nextInvoiceSequence = 1
    package var invoiceSettings: JSONValue = Customer.defaultInvoiceSettings
    package var metadata: [String: String] = [:]
    package var preferredLocales: [String] = []
    package var taxExempt = "none"
    package var tax: JSONValue?
    package var testClock: String?
    package var customerAccount: String?
    package var defaultPaymentMethod: String? {
        get { invoiceSettings["default_payment_method"]?.stringValue }
        set { invoiceSettings["default_payment_method"] = .optional(newValue) }
    }
    package var deleted = false

    package static let defaultInvoiceSettings: JSONValue = [
        "custom_fields": nil, "default_payment_method": nil, "footer": nil, "rendering_options": nil,
    ]

    package static let keepsRendered = true
    package func apiBodyText() -> String {
        deleted ? Self.deletedStub(id).serialized() : JSONValue.serializedObject(apiMembers)
    }

    package var columns: [String: IndexValue] {
        [
            "email": .text(email), "testClock": .text(testClock), "customerAccount": .text(customerAccount),
            "deleted": .int(deleted ? 1 : 0),
        ]
    }

    /// The wire shape (API version 2026-06-24): every field present, null when unset.
    package func render() -> JSONValue {
        if deleted { return Self.deletedStub(id) }
        return .object(apiMembers)
    }

    /// The wire shape's members in Stripe's order (`id`, `object`, then by key): `render()` and the stored API
    /// body (`apiBodyText`, written without a dictionary) both come from here.
    private var apiMembers: [(key: String, value: JSONValue)] {
        [
            ("id", .string(id)), ("object", "customer"),
            ("address", address ?? .null),
            ("balance", .int(balance)),
            ("business_name", .optional(businessName)),
            ("created", .int(created)),
            ("currency", .optional(currency)),
            ("customer_account", .optional(customerAccount)),
            ("default_source", nil),
            ("delinquent", false),
            ("description", .optional(description)),
            ("discount", nil),
            ("email", .optional(email)),
            ("individual_name", .optional(individualName)),
            ("invoice_prefix", .string(invoicePrefix)),
            ("invoice_settings", invoiceSettings),
            ("livemode", false),
            ("metadata", .stringMap(metadata)),
            ("name", .optional(name)),
            ("next_invoice_sequence", .int(nextInvoiceSequence)),
            ("phone", .optional(phone)),
            ("preferred_locales", .strings(preferredLocales)),
            ("shipping", shipping ?? .null),
            ("tax_exempt", .string(taxExempt)),
            ("test_clock", .optional(testClock)),
        ]
    }

    package static func deletedStub(_ id: String) -> JSONValue {
        ["id": .string(id), "object": "customer", "deleted": true]
    }
}

// MARK: - Parameters → changes

extension Customer {
    package static let addressSchema: ParamSchema = [
        "city": .string(max: 200).isEmptyable, "country": .string(max: 2).isEmptyable,
        "line1": .string(max: 200).isEmptyable, "line2": .string(max: 200).isEmptyable,
        "postal_code": .string(max: 20).isEmptyable, "state": .string(max: 200).isEmptyable,
    ]

    /// Parameters shared by create and update.
    package static let writableSchema: ParamSchema = [
        "address": .hash(addressSchema).isEmptyable,
        "balance": .integer,
        "business_name": .string(max: 150).isEmptyable,
        "cash_balance": .hash([
            "settings": .hash(["reconciliation_mode": .oneOf("automatic", "manual", "merchant_default")])
        ]),
        "description": .string(max: 5000).isEmptyable,
        "email": .string(max: 512).isEmptyable,
        "individual_name": .string(max: 150).isEmptyable,
        "invoice_prefix": .string(max: 12).isEmptyable,
        "invoice_settings": .hash([
            "custom_fields": .array(
                .hash(["name": .string(max: 40).isRequired, "value": .string(max: 140).isRequired]),
                max: 4
            ).isEmptyable,
            "default_payment_method": .string(max: 5000).isEmptyable,
            "footer": .string(max: 5000).isEmptyable,
            "rendering_options": .hash([
                "amount_tax_display": .oneOf("exclude_tax", "include_inclusive_tax").isEmptyable,
                "template": .string(max: 5000),
            ]).isEmptyable,
        ]),
        "metadata": .metadata,
        "name": .string(max: 256).isEmptyable,
        "next_invoice_sequence": .integer(min: 1, max: 1_000_000_000),
        "phone": .string(max: 20).isEmptyable,
        "preferred_locales": .array(.string(max: 20)),
        "shipping": .hash([
            "address": .hash(addressSchema).isRequired, "name": .string(max: 5000).isRequired,
            "phone": .string(max: 5000).isEmptyable,
        ]).isEmptyable,
        "tax": .hash([
            "ip_address": .string(max: 100).isEmptyable, "validate_location": .oneOf("deferred", "immediately"),
        ]),
        "tax_exempt": .oneOf("none", "exempt", "reverse").isEmptyable,
        "validate": .boolean,
    ]

    package static let createSchema: ParamSchema = writableSchema.merging([
        "test_clock": .string(max: 5000)
    ]) { a, _ in a }

    package static let updateSchema: ParamSchema = writableSchema

    /// Applies create/update parameters (already validated) to this customer.
    package mutating func apply(_ p: Params) throws(StripeError) {
        func text(_ key: String) -> String?? {  // one lookup: set, unset, or absent
            switch p[key] {
            case .string(let s): .some(s)
            case .empty: .some(nil)
            default: nil
            }
        }
        if let v = text("email") {
            if let e = v { try Self.validateEmail(e) }
            email = v
        }
        if let v = text("name") { name = v }
        if let v = text("description") { description = v }
        if let v = text("phone") { phone = v }
        if let v = text("business_name") { businessName = v }
        if let v = text("individual_name") { individualName = v }
        if let v = p.int("balance") { balance = v }
        if let v = p.int("next_invoice_sequence") { nextInvoiceSequence = v }
        if let v = text("invoice_prefix") {
            guard let prefix = v else { throw .invalidEmpty("invoice_prefix") }
            guard (3...12).contains(prefix.count), prefix.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) })
            else {
                throw .validation(
                    "Invalid invoice_prefix: must be 3 to 12 uppercase letters or numbers",
                    param: "invoice_prefix"
                )
            }
            invoicePrefix = prefix
        }
        if let v = text("tax_exempt") { taxExempt = v ?? "none" }
        if p.isUnset("address") {
            address = nil
        } else if let a = p.hash("address") {
            address = Self.addressJSON(a, over: address)
        }
        if p.isUnset("shipping") {
            shipping = nil
        } else if let s = p.hash("shipping") {
            shipping = [
                "address": Self.addressJSON(s.hash("address") ?? Params(), over: nil),
                "name": .optional(s.string("name")), "phone": .optional(s.string("phone")),
            ]
        }
        if let locales = p.strings("preferred_locales") { preferredLocales = locales }
        if let m = p.metadataUpdate() { metadata = m.applied(to: metadata) }
        if let s = p.hash("invoice_settings") {
            var settings = invoiceSettings
            if s.isUnset("custom_fields") {
                settings["custom_fields"] = nil
            } else if let fields = s.hashes("custom_fields") {
                settings["custom_fields"] = .array(
                    fields.map { ["name": .optional($0.string("name")), "value": .optional($0.string("value"))] }
                )
            }
            if s.has("default_payment_method") {
                settings["default_payment_method"] = .optional(s.string("default_payment_method"))
            }
            if s.has("footer") { settings["footer"] = .optional(s.string("footer")) }
            if s.isUnset("rendering_options") {
                settings["rendering_options"] = nil
            } else if let r = s.hash("rendering_options") {
                settings["rendering_options"] = [
                    "amount_tax_display": .optional(r.string("amount_tax_display")),
                    "template": .optional(r.string("template")),
                ]
            }
            invoiceSettings = settings
        }
        if let t = p.hash("tax"), t.has("ip_address") {
            tax = ["ip_address": .optional(t.string("ip_address"))]
        }
    }

    /// Merges address parameters over an existing address (null members where never set).
    package static func addressJSON(_ a: Params, over existing: JSONValue?) -> JSONValue {
        var out =
            existing ?? ["city": nil, "country": nil, "line1": nil, "line2": nil, "postal_code": nil, "state": nil]
        for key in ["city", "country", "line1", "line2", "postal_code", "state"] where a.has(key) {
            out[key] = .optional(a.string(key))
        }
        return out
    }

    /// Stripe rejects malformed addresses with `email_invalid`.
    package static func validateEmail(_ email: String, param: String = "email") throws(StripeError) {
        if !isEmail(email) {
            throw StripeError(
                status: 400,
                code: "email_invalid",
                message: "Invalid email address: \(email)",
                param: param,
                isValidationFailure: true
            )
        }
    }

    /// One `@` with something before it, a dot inside the part after it, no whitespace. Read on bytes when the
    /// address is ASCII (nearly always): going through `Character`s and their Unicode properties cost as much as
    /// the rest of a create's parameter handling.
    private static func isEmail(_ email: String) -> Bool {
        let bytes = email.utf8
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            return parts.count == 2 && !parts[0].isEmpty && parts[1].utf8.contains(UInt8(ascii: "."))
                && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".") && !email.contains(where: { $0.isWhitespace })
        }
        // ASCII whitespace as `Character.isWhitespace` sees it: tab, line feed, vertical tab, form feed, carriage
        // return and space.
        if bytes.contains(where: { (0x09...0x0D).contains($0) || $0 == 0x20 }) { return false }
        let at = UInt8(ascii: "@")
        let dot = UInt8(ascii: ".")
        guard let first = bytes.firstIndex(of: at), first != bytes.startIndex else { return false }
        let domain = bytes[bytes.index(after: first)...]
        return !domain.contains(at) && domain.contains(dot) && domain.first != dot && domain.last != dot
    }
}

// MARK: - Storage (read on every customer request: no Codable)

extension Customer {
    package var jsonBody: JSONValue { .object(stateMembers) }
    package var jsonBodyText: String { JSONValue.serializedObject(stateMembers, pretty: false) }

    /// The stored state's members, in the order serialising `jsonBody` gives (`id`, then by key).
    private var stateMembers: [(key: String, value: JSONValue)] {
        [
            ("id", .string(id)),
            ("address", address ?? .null),
            ("balance", .int(balance)),
            ("businessName", .optional(businessName)),
            ("created", .int(created)),
            ("currency", .optional(currency)),
            ("customerAccount", .optional(customerAccount)),
            ("deleted", .bool(deleted)),
            ("description", .optional(description)),
            ("email", .optional(email)),
            ("individualName", .optional(individualName)),
            ("invoicePrefix", .string(invoicePrefix)),
            ("invoiceSettings", invoiceSettings),
            ("metadata", .stringMap(metadata)),
            ("name", .optional(name)),
            ("nextInvoiceSequence", .int(nextInvoiceSequence)),
            ("phone", .optional(phone)),
            ("preferredLocales", .strings(preferredLocales)),
            ("shipping", shipping ?? .null),
            ("tax", tax ?? .null),
            ("taxExempt", .string(taxExempt)),
            ("testClock", .optional(testClock)),
        ]
    }

    package init(jsonBody j: JSONValue) throws {
        guard let id = j["id"]?.stringValue, let created = j["created"]?.intValue else {
            throw StripeError(status: 500, type: "api_error", message: "A stored customer is malformed.")
        }
        func text(_ k: String) -> String? { j[k]?.stringValue }
        func bag(_ k: String) -> JSONValue? { j[k].flatMap { $0 == .null ? JSONValue?.none : $0 } }
        self.init(
            id: id,
            created: created,
            email: text("email"),
            name: text("name"),
            description: text("description"),
            phone: text("phone"),
            businessName: text("businessName"),
            individualName: text("individualName"),
            address: bag("address"),
            shipping: bag("shipping"),
            balance: j["balance"]?.intValue ?? 0,
            currency: text("currency"),
            invoicePrefix: text("invoicePrefix") ?? "",
            nextInvoiceSequence: j["nextInvoiceSequence"]?.intValue ?? 1,
            invoiceSettings: j["invoiceSettings"] ?? Customer.defaultInvoiceSettings,
            metadata: j["metadata"]?.objectValue?.compactMapValues(\.stringValue) ?? [:],
            preferredLocales: j["preferredLocales"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            taxExempt: text("taxExempt") ?? "none",
            tax: bag("tax"),
            testClock: text("testClock"),
            customerAccount: text("customerAccount"),
            deleted: j["deleted"]?.boolValue ?? false
        )
    }
}
