import Foundation

/// What an endpoint accepts: the one place a parameter's name, type, bounds and required-ness are declared.
/// Validation against it produces `parameter_unknown`, `parameter_missing`, `parameter_invalid_*` and enum errors
/// exactly once, before any handler code runs.
package typealias ParamSchema = [String: Param]

package struct Param: Sendable {
    package var type: ParamType
    package var required = false
    /// Whether `field=` (empty string: "unset") is allowed; otherwise it is `parameter_invalid_empty`.
    package var emptyable = false

    package var isRequired: Param {
        var p = self
        p.required = true
        return p
    }
    package var isEmptyable: Param {
        var p = self
        p.emptyable = true
        return p
    }

    package static func string(max: Int? = nil) -> Param { Param(type: .string(max: max)) }
    package static var string: Param { Param(type: .string(max: 5000)) }
    package static func integer(min: Int? = nil, max: Int? = nil) -> Param { Param(type: .integer(min: min, max: max)) }
    package static var integer: Param { Param(type: .integer(min: nil, max: nil)) }
    package static var boolean: Param { Param(type: .boolean) }
    package static func oneOf(_ values: String...) -> Param { Param(type: .enumeration(values)) }
    package static func oneOf(_ values: [String]) -> Param { Param(type: .enumeration(values)) }
    package static func hash(_ schema: ParamSchema) -> Param { Param(type: .hash(schema)) }
    package static func array(_ element: Param, max: Int? = nil) -> Param {
        Param(type: .array(element.type, max: max))
    }
    package static var metadata: Param { Param(type: .metadata, emptyable: true) }
    /// An integer, or a hash of `gt`/`gte`/`lt`/`lte` (`created`, `transacted_at`).
    package static var range: Param { Param(type: .range) }
    /// Boolean or one of the strings (`off_session=true` or `off_session=one_off`).
    package static func booleanOr(_ values: String...) -> Param { Param(type: .booleanOr(values)) }
    /// Any object, its members kept as given (pass-through bags: v2's `defaults`, a PaymentIntent's `shipping`).
    package static var object: Param { Param(type: .object) }
    /// A string-to-string map with free keys (not metadata).
    package static var stringMap: Param { Param(type: .stringMap) }
}

package indirect enum ParamType: Sendable {
    case string(max: Int?)
    case integer(min: Int?, max: Int?)
    case boolean
    case enumeration([String])
    case hash(ParamSchema)
    case array(ParamType, max: Int?)
    case metadata
    case range
    case booleanOr([String])
    case object
    case stringMap
}

/// A validated parameter value.
package enum ParamValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    /// Sent as an empty string (v1) or `null` (v2): "unset this".
    case empty
    case array([ParamValue])
    case hash([String: ParamValue])
    case json(JSONValue)
}

/// Validated parameters with typed accessors. Because validation already checked types, accessors only
/// answer "present or not".
package struct Params: Sendable, Equatable {
    package var values: [String: ParamValue]

    package init(_ values: [String: ParamValue] = [:]) { self.values = values }

    package subscript(key: String) -> ParamValue? { values[key] }
    package func has(_ key: String) -> Bool { values[key] != nil }
    /// Present as an explicit unset (`key=`).
    package func isUnset(_ key: String) -> Bool { values[key] == .empty }

    package func string(_ key: String) -> String? {
        if case .string(let s) = values[key] { return s }
        return nil
    }

    package func int(_ key: String) -> Int? {
        if case .int(let i) = values[key] { return i }
        return nil
    }

    package func bool(_ key: String) -> Bool? {
        if case .bool(let b) = values[key] { return b }
        return nil
    }

    package func strings(_ key: String) -> [String]? {
        switch values[key] {
        case .array(let a): return a.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        case .empty: return []
        default: return nil
        }
    }

    package func hash(_ key: String) -> Params? {
        if case .hash(let h) = values[key] { return Params(h) }
        return nil
    }

    package func hashes(_ key: String) -> [Params]? {
        switch values[key] {
        case .array(let a): return a.compactMap { if case .hash(let h) = $0 { return Params(h) } else { return nil } }
        case .empty: return []
        default: return nil
        }
    }

    package func json(_ key: String) -> JSONValue? {
        values[key].map(Self.toJSON)
    }

    /// The value as JSON (strings stay strings); `.empty` becomes `null`.
    package static func toJSON(_ v: ParamValue) -> JSONValue {
        switch v {
        case .string(let s): .string(s)
        case .int(let i): .int(i)
        case .bool(let b): .bool(b)
        case .empty: .null
        case .array(let a): .array(a.map(toJSON))
        case .hash(let h): .object(h.mapValues(toJSON))
        case .json(let j): j
        }
    }

    /// A metadata update: `metadata=` clears, `metadata[k]=` deletes `k`, others set.
    package func metadataUpdate(_ key: String = "metadata") -> MetadataUpdate? {
        switch values[key] {
        case nil: return nil
        case .empty: return .clear
        case .hash(let h):
            return .merge(h.mapValues { if case .string(let s) = $0 { s } else { nil } })
        default: return nil
        }
    }
}

package enum MetadataUpdate: Sendable, Equatable {
    case clear
    case merge([String: String?])

    package func applied(to current: [String: String]) -> [String: String] {
        switch self {
        case .clear: return [:]
        case .merge(let changes):
            var out = current
            for (k, v) in changes { out[k] = v }
            return out
        }
    }
}

// MARK: - Validation

package enum ParamValidator {
    /// Metadata limits (Stripe's): 50 keys, 40-character keys, 500-character values.
    package static let metadataMaxKeys = 50
    package static let metadataMaxKeyLength = 40
    package static let metadataMaxValueLength = 500

    /// Checks `raw` against `schema`: unknown names first (in request order), then types, then required ones.
    package static func validate(
        _ raw: RawHash,
        _ schema: ParamSchema,
        prefix: String? = nil
    )
        throws(StripeError) -> Params
    {
        for key in raw.keys where schema[key] == nil {
            throw .parameterUnknown(name(prefix, key))
        }
        var out: [String: ParamValue] = [:]
        for (key, value) in raw.entries {
            out[key] = try convert(value, schema[key]!, name: name(prefix, key))
        }
        // The first missing one by name, as before, without sorting every key of the schema on every request.
        var missing: String?
        for (key, param) in schema where param.required && out[key] == nil {
            if missing.map({ key < $0 }) ?? true { missing = key }
        }
        if let missing { throw .parameterMissing(name(prefix, missing)) }
        return Params(out)
    }

    private static func name(_ prefix: String?, _ key: String) -> String {
        prefix.map { "\($0)[\(key)]" } ?? key
    }

    private static func isEmptyMarker(_ v: RawParam) -> Bool {
        if case .string("") = v { return true }
        return v == .null
    }

    private static func convert(_ value: RawParam, _ param: Param, name: String) throws(StripeError) -> ParamValue {
        if isEmptyMarker(value) {
            if param.emptyable { return .empty }
            if case .array = param.type, value != .null { return .empty }
            if case .object = param.type { return .json(.null) }
            throw .invalidEmpty(name)
        }
        return try convert(value, param.type, name: name)
    }

    private static func scalarText(_ v: RawParam) -> String? {
        switch v {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .bool(let b): String(b)
        default: nil
        }
    }

    private static func convert(_ value: RawParam, _ type: ParamType, name: String) throws(StripeError) -> ParamValue {
        switch type {
        case .object:
            guard case .hash = value else { throw .invalidHash(name) }
            return .json(toJSON(value))
        case .string(let max):
            guard case .string(let s) = value else {
                if let t = scalarText(value), value != .null { return .string(t) }
                throw .invalidString(name)
            }
            // Characters are never more than UTF-8 bytes: only a long string needs counting them.
            if let max, s.utf8.count > max, s.count > max { throw .stringTooLong(name, max: max) }
            return .string(s)
        case .integer(let min, let max):
            let n: Int
            switch value {
            case .int(let i): n = i
            case .string(let s):
                guard let i = Int(s.trimmingCharacters(in: .whitespaces)) else { throw .invalidInteger(name, s) }
                n = i
            default: throw .invalidInteger(name, scalarText(value) ?? "\(value)")
            }
            if let min, n < min {
                throw .validation("This value must be greater than or equal to \(min).", param: name)
            }
            if let max, n > max {
                throw .validation("This value must be less than or equal to \(max).", param: name)
            }
            return .int(n)
        case .boolean:
            switch value {
            case .bool(let b): return .bool(b)
            case .string("true"): return .bool(true)
            case .string("false"): return .bool(false)
            default: throw .invalidBoolean(name, scalarText(value) ?? "")
            }
        case .booleanOr(let values):
            switch value {
            case .bool(let b): return .bool(b)
            case .string("true"): return .bool(true)
            case .string("false"): return .bool(false)
            case .string(let s) where values.contains(s): return .string(s)
            default: throw .invalidEnum(name, scalarText(value) ?? "", allowed: ["true", "false"] + values)
            }
        case .enumeration(let allowed):
            guard let s = scalarText(value), allowed.contains(s) else {
                throw .invalidEnum(name, scalarText(value) ?? "", allowed: allowed)
            }
            return .string(s)
        case .hash(let schema):
            guard case .hash(let h) = value else { throw .invalidHash(name) }
            return .hash(try validate(h, schema, prefix: name).values)
        case .array(let element, let max):
            let items = try listItems(value, name: name)
            if let max, items.count > max {
                throw .validation("Invalid \(name): must have at most \(max) elements", param: name)
            }
            var out: [ParamValue] = []
            for (i, item) in items.enumerated() {
                out.append(try convert(item, Param(type: element), name: "\(name)[\(i)]"))
            }
            return .array(out)
        case .metadata:
            guard case .hash(let h) = value else { throw .invalidHash(name) }
            if h.keys.count > metadataMaxKeys {
                throw .validation(
                    "Metadata can have up to \(metadataMaxKeys) keys, but you've set \(h.keys.count). Email us at support+metadata@stripe.com for more information.",
                    param: name
                )
            }
            var out: [String: ParamValue] = [:]
            for (k, v) in h.entries {
                let p = "\(name)[\(k)]"
                if k.count > metadataMaxKeyLength {
                    throw .validation(
                        "Metadata keys can have up to \(metadataMaxKeyLength) characters, but you passed in a key that is \(k.count) characters. Invalid key: \(k)",
                        param: name
                    )
                }
                if k.isEmpty { throw .validation("Metadata keys cannot be empty.", param: name) }
                if isEmptyMarker(v) {
                    out[k] = .empty
                    continue
                }
                guard let s = scalarText(v) else {
                    throw .validation("Metadata values must be strings (\(p)).", param: p)
                }
                if s.count > metadataMaxValueLength {
                    throw .validation(
                        "Metadata values can have up to \(metadataMaxValueLength) characters, but you passed in a value that is \(s.count) characters. Invalid value: \(s)",
                        param: name
                    )
                }
                out[k] = .string(s)
            }
            return .hash(out)
        case .stringMap:
            guard case .hash(let h) = value else { throw .invalidHash(name) }
            var out: [String: ParamValue] = [:]
            for (k, v) in h.entries {
                guard let s = scalarText(v) else { throw .invalidString("\(name)[\(k)]") }
                out[k] = .string(s)
            }
            return .hash(out)
        case .range:
            switch value {
            case .string, .int:
                return try convert(value, ParamType.integer(min: nil, max: nil), name: name)
            case .hash(let h):
                let schema: ParamSchema = ["gt": .integer, "gte": .integer, "lt": .integer, "lte": .integer]
                return .hash(try validate(h, schema, prefix: name).values)
            default:
                throw .invalidInteger(name, scalarText(value) ?? "")
            }
        }
    }

    /// `a[]=…` lists, or `a[0]=…&a[1]=…` hashes whose keys must be numeric and sequential from 0.
    private static func listItems(_ value: RawParam, name: String) throws(StripeError) -> [RawParam] {
        switch value {
        case .list([.string("")]): return []  // `a[]=`: an empty array (unset)
        case .list(let l): return l
        case .hash(let h):
            var items: [RawParam] = []
            let sorted = h.keys.sorted { (Int($0) ?? .max, $0) < (Int($1) ?? .max, $1) }
            for (expected, key) in sorted.enumerated() where Int(key) != expected {
                throw .validation(
                    "If passing an array with explicit keys (e.g. foo[0]=a&foo[1]=b) instead of as an array (e.g. foo[]=a&foo[]=b), the keys must be numeric and sequential starting from 0. You passed the keys `\(sorted.joined(separator: "`, `"))`, we expected to have a key with the value `\(expected)`.",
                    param: name
                )
            }
            for key in sorted { items.append(h[key]!) }
            return items
        default:
            throw .invalidArray(name)
        }
    }

    private static func toJSON(_ v: RawParam) -> JSONValue {
        switch v {
        case .string(let s): .string(s)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .bool(let b): .bool(b)
        case .null: .null
        case .list(let l): .array(l.map(toJSON))
        case .hash(let h): .object(h.entries.map { ($0.key, toJSON($0.value)) })
        }
    }
}
