import Foundation

/// `expand[]`: replaces an id with the object it names, along dotted paths (`data.` on lists), at most four
/// levels deep; also fills includable fields that are only rendered when expanded (`customer.sources`,
/// `total_count` on search results).
package struct Expansions: Sendable {
    package typealias Resolver = @Sendable (Store, String) throws -> JSONValue?
    package typealias Computed = @Sendable (Store, JSONValue) throws -> JSONValue

    package enum Rule: Sendable {
        /// The field holds an id; expanding loads that object.
        case reference(Resolver)
        /// The field is only present when expanded; computed from the parent object.
        case computed(Computed)
    }

    /// `object` type → field path (may be dotted, e.g. `invoice_settings.default_payment_method`) → rule.
    private var rules: [String: [String: Rule]] = [:]

    package static let maxDepth = 4

    package init() {}

    package mutating func add(_ objectType: String, _ field: String, _ rule: Rule) {
        rules[objectType, default: [:]][field] = rule
    }

    /// Applies every path to `json` (an object, a list or a search result).
    package func apply(_ json: JSONValue, paths: [String], store: Store) throws -> JSONValue {
        var out = json
        for path in paths {
            let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if parts.contains(where: \.isEmpty) {
                throw StripeError.invalidRequest("Invalid expand path: \(path)", param: "expand")
            }
            if parts.count > Self.maxDepth {
                throw StripeError(
                    status: 400,
                    code: "property_expansion_max_depth",
                    message: "You cannot expand more than \(Self.maxDepth) levels of a property. Property: \(path)"
                )
            }
            out = try expand(out, parts[...], fullPath: path, store: store)
        }
        return out
    }

    private func expand(
        _ json: JSONValue,
        _ path: ArraySlice<String>,
        fullPath: String,
        store: Store
    ) throws
        -> JSONValue
    {
        guard let first = path.first else { return json }
        guard case .object(var object) = json else { return json }
        let type = object["object"]?.stringValue ?? ""
        if type == "list" || type == "search_result" {
            if first == "data" {
                let items = object["data"]?.arrayValue ?? []
                object["data"] = .array(
                    try items.map { try expand($0, path.dropFirst(), fullPath: fullPath, store: store) }
                )
                return .object(object)
            }
            if first == "total_count", path.count == 1 {
                object["total_count"] = .int(
                    object["__total_count"]?.intValue ?? (object["data"]?.arrayValue?.count ?? 0)
                )
                return .object(object)
            }
        }
        // Longest registered field path that prefixes the requested path.
        let typeRules = rules[type] ?? [:]
        for length in stride(from: path.count, through: 1, by: -1) {
            let field = path.prefix(length).joined(separator: ".")
            guard let rule = typeRules[field] else { continue }
            let rest = path.dropFirst(length)
            let fieldParts = Array(path.prefix(length))
            let current = JSONValue.object(object).value(at: field) ?? .null
            var expanded: JSONValue
            switch rule {
            case .reference(let resolve):
                switch current {
                case .string(let id): expanded = try resolve(store, id) ?? .string(id)
                case .object: expanded = current
                default: expanded = current
                }
            case .computed(let compute):
                expanded = try compute(store, .object(object))
            }
            if !rest.isEmpty { expanded = try expand(expanded, rest, fullPath: fullPath, store: store) }
            return Self.set(.object(object), fieldParts[...], expanded)
        }
        // Not registered here: maybe an already-expanded object further down.
        if path.count > 1, let child = object[first], case .object = child {
            object[first] = try expand(child, path.dropFirst(), fullPath: fullPath, store: store)
            return .object(object)
        }
        let hint =
            type == "list" || type == "search_result"
            ? " You may want to try expanding 'data.\(path.joined(separator: "."))' instead." : ""
        throw StripeError.invalidRequest("This property cannot be expanded (\(first)).\(hint)")
    }

    private static func set(_ json: JSONValue, _ path: ArraySlice<String>, _ value: JSONValue) -> JSONValue {
        guard let first = path.first, case .object(var o) = json else { return value }
        o[first] = path.count == 1 ? value : set(o[first] ?? .object([:]), path.dropFirst(), value)
        return .object(o)
    }
}
