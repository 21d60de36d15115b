import Foundation

/// Stripe's search query language: `field:value`, `field~"sub"`, `field>N`, `metadata["k"]:"v"`, `-` negation,
/// `field:null`, up to 10 clauses joined by `AND` or `OR` (not both), no parentheses.
package struct SearchQuery: Sendable, Equatable {
    package enum Op: String, Sendable {
        case equals = ":"
        case contains = "~"
        case gt = ">"
        case gte = ">="
        case lt = "<"
        case lte = "<="
    }

    package struct Clause: Sendable, Equatable {
        package var field: String
        /// For `metadata["key"]`.
        package var metadataKey: String?
        package var op: Op
        /// `nil` for the `null` token.
        package var value: String?
        package var negated: Bool
    }

    package var clauses: [Clause]
    package var isOr: Bool

    private static let unparseable =
        "We were unable to parse your search query. Try using the format `metadata[\"key\"]:\"value\"` to query for metadata or key:\"value\" to query for other fields."

    private static func fail(_ detail: String? = nil) -> StripeError {
        StripeError(status: 400, message: unparseable, param: "query")
    }

    /// Parses and checks fields against `fields` (name → numeric?) for `resource` (e.g. `customers`).
    package static func parse(
        _ text: String,
        fields: [String: Bool],
        resource: String
    ) throws(StripeError)
        -> SearchQuery
    {
        let chars = Array(text)
        var i = 0
        var clauses: [Clause] = []
        var joins: [String] = []
        func skipSpace() { while i < chars.count, chars[i] == " " { i += 1 } }
        func readWord() -> String {
            var w = ""
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == "." {
                w.append(chars[i])
                i += 1
            }
            return w
        }
        func readQuoted() throws(StripeError) -> String {
            guard i < chars.count, chars[i] == "\"" || chars[i] == "'" else { throw fail() }
            let quote = chars[i]
            i += 1
            var out = ""
            while i < chars.count, chars[i] != quote {
                if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                out.append(chars[i])
                i += 1
            }
            guard i < chars.count else { throw fail() }
            i += 1
            return out
        }
        skipSpace()
        while i < chars.count {
            if !clauses.isEmpty {
                let save = i
                let word = readWord().uppercased()
                if word == "AND" || word == "OR" {
                    joins.append(word)
                    skipSpace()
                } else {
                    i = save
                    joins.append("AND")
                }
            }
            var negated = false
            if i < chars.count, chars[i] == "-" {
                negated = true
                i += 1
            }
            let field = readWord()
            guard !field.isEmpty else { throw fail() }
            var metadataKey: String?
            if field == "metadata" {
                guard i < chars.count, chars[i] == "[" else { throw fail() }
                i += 1
                metadataKey = try readQuoted()
                guard i < chars.count, chars[i] == "]" else { throw fail() }
                i += 1
            } else if fields[field] == nil {
                throw StripeError(
                    status: 400,
                    message:
                        "Field `\(field)` is an unsupported search field for resource `\(resource)`. See http://stripe.com/docs/search#query-fields-for-\(resource) for a list of supported fields.",
                    param: "query"
                )
            }
            var op: Op
            guard i < chars.count else { throw fail() }
            switch chars[i] {
            case ":": op = .equals
            case "~": op = .contains
            case ">": op = .gt
            case "<": op = .lt
            default: throw fail()
            }
            i += 1
            if op == .gt || op == .lt, i < chars.count, chars[i] == "=" {
                op = op == .gt ? .gte : .lte
                i += 1
            }
            var value: String?
            if i < chars.count, chars[i] == "\"" || chars[i] == "'" {
                value = try readQuoted()
            } else {
                let w = readWord()
                guard !w.isEmpty else { throw fail() }
                value = w == "null" ? nil : w
                if value != nil, metadataKey == nil, fields[field] == false {
                    // Strings must be quoted.
                    throw fail()
                }
            }
            let numeric = metadataKey == nil && fields[field] == true
            if op != .equals && op != .contains && !numeric {
                throw StripeError(
                    status: 400,
                    message:
                        "The `\(op.rawValue)` operator can only be used with numeric fields (`\(field)` is not numeric).",
                    param: "query"
                )
            }
            if op == .contains, (value?.count ?? 0) < 3 {
                throw StripeError(
                    status: 400,
                    message: "Substring (~) queries need a value of at least 3 characters.",
                    param: "query"
                )
            }
            if numeric, let v = value, Int(v) == nil { throw fail() }
            clauses.append(Clause(field: field, metadataKey: metadataKey, op: op, value: value, negated: negated))
            skipSpace()
        }
        guard !clauses.isEmpty else {
            throw StripeError(
                status: 400,
                code: "parameter_invalid_string",
                message: "Provide a query parameter with a valid search query string.",
                param: "query"
            )
        }
        if clauses.count > 10 {
            throw StripeError(status: 400, message: "A search query can have at most 10 clauses.", param: "query")
        }
        if Set(joins).count > 1 {
            throw StripeError(
                status: 400,
                message: "A search query cannot combine AND and OR; use one or the other.",
                param: "query"
            )
        }
        return SearchQuery(clauses: clauses, isOr: joins.first == "OR")
    }

    /// Whether an object matches; `lookup` answers a field's value (`nil` when absent).
    package func matches(_ lookup: (Clause) -> String?) -> Bool {
        let results = clauses.map { c -> Bool in
            let actual = lookup(c)
            var ok: Bool
            switch (c.op, c.value) {
            case (_, nil): ok = actual == nil
            case (.equals, let v?):
                if let actual, let a = Int(actual), let b = Int(v) { ok = a == b } else { ok = actual == v }
            case (.contains, let v?): ok = actual?.lowercased().contains(v.lowercased()) ?? false
            case (let op, let v?):
                guard let a = actual.flatMap({ Int($0) }), let b = Int(v) else {
                    ok = false
                    break
                }
                switch op {
                case .gt: ok = a > b
                case .gte: ok = a >= b
                case .lt: ok = a < b
                default: ok = a <= b
                }
            }
            return c.negated ? !ok : ok
        }
        return isOr ? results.contains(true) : !results.contains(false)
    }
}
