import Foundation

/// A bank fixture that could not be read, naming the file and the field at fault.
///
/// `description` reads `FILE: FIELD: MESSAGE`, e.g.
/// `Fixtures/test-oauth.json: accounts["insufficient-funds"].behavior.ach: unknown value "R05" (expected one of: …)`.
/// Accounts are named by their fixture id where it is known, by position otherwise (`accounts[3]`).
package struct FixtureError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The file (or other source label, e.g. a scenario name) the bad value came from.
    package var file: String
    /// Dotted path of the field inside the institution object; empty when the whole file is at fault.
    package var field: String
    package var message: String

    package init(file: String, field: String = "", message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    package var description: String { field.isEmpty ? "\(file): \(message)" : "\(file): \(field): \(message)" }
    package var errorDescription: String? { description }
}

// MARK: - Decoding helpers shared by the fixture types

/// A string enum in the fixture format: decoding an unknown value names the allowed ones.
package protocol FixtureEnum: RawRepresentable, CaseIterable, Codable, Sendable where RawValue == String {}

extension FixtureEnum {
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let value = Self(rawValue: raw) else {
            let allowed = Self.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "unknown value \"\(raw)\" (expected one of: \(allowed))"
            )
        }
        self = value
    }
}

/// Any key, for listing the keys an object actually has.
struct FixtureCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = "Index \(intValue)"
        self.intValue = intValue
    }
}

extension Decoder {
    /// Rejects keys the format does not define, so a typo (`behaviour`) fails loudly instead of being ignored.
    func rejectUnknownKeys<Key: CodingKey & CaseIterable>(_: Key.Type) throws {
        let known = Set(Key.allCases.map(\.stringValue))
        let container = try self.container(keyedBy: FixtureCodingKey.self)
        for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue })
        where !known.contains(key.stringValue) {
            let allowed = Key.allCases.map(\.stringValue).joined(separator: ", ")
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: codingPath + [key],
                    debugDescription: "unknown field (allowed here: \(allowed))"
                )
            )
        }
    }
}

extension KeyedDecodingContainer {
    /// Throws a validation failure located at `key`.
    func invalid(_ key: Key, _ message: String) -> DecodingError {
        DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: message)
    }
}

extension FixtureError {
    /// Turns a decoding failure into a located fixture error. `institution` is the JSON that was decoded,
    /// used to name accounts by fixture id instead of position.
    init(_ error: any Error, file: String, institution: JSONValue?) {
        guard let decodingError = error as? DecodingError else {
            self.init(file: file, message: "\(error)")
            return
        }
        let path: [any CodingKey]
        let message: String
        switch decodingError {
        case .typeMismatch(let type, let context):
            path = context.codingPath
            message = "expected \(Self.typeName(type))"
        case .valueNotFound(let type, let context):
            path = context.codingPath
            message = "expected \(Self.typeName(type)), found null"
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
            message = "missing required field"
        case .dataCorrupted(let context):
            path = context.codingPath
            message = context.debugDescription
        @unknown default:
            path = []
            message = "\(decodingError)"
        }
        self.init(file: file, field: Self.render(path, institution: institution), message: message)
    }

    /// `accounts["insufficient-funds"].behavior.ach` (or `accounts[3]…` when that account has no id).
    static func render(_ path: [any CodingKey], institution: JSONValue?) -> String {
        var out = ""
        var node = institution
        for key in path {
            if let index = key.intValue {
                let element = node?.arrayValue.flatMap { $0.indices.contains(index) ? $0[index] : nil }
                if let id = element?["id"]?.stringValue, out.hasSuffix("accounts") {
                    out += "[\"\(id)\"]"
                } else {
                    out += "[\(index)]"
                }
                node = element
            } else {
                out += out.isEmpty ? key.stringValue : "." + key.stringValue
                node = node?[key.stringValue]
            }
        }
        return out
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default:
            if "\(type)".hasPrefix("Array") {
                "a list"
            } else if "\(type)".hasPrefix("Dictionary") || "\(type)".hasPrefix("KeyedDecodingContainer") {
                "an object"
            } else {
                "\(type)"
            }
        }
    }
}
