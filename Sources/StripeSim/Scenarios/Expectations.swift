import Foundation

/// What a step produced: a response (or a dropped connection), after any retries.
package struct StepResponse: Sendable {
    package var status: Int?
    package var headers: [(name: String, value: String)]
    package var body: String
    /// The JSON expectations and captures read: the response body, or the matched event or delivery for
    /// `wait_for`.
    package var json: JSONValue?
    package var transportError: String?
    package var attempts: Int
    /// `POST /v1/customers → 200` for the report.
    package var summary: String

    package static func dropped(_ why: String, attempts: Int, summary: String) -> StepResponse {
        StepResponse(
            status: nil,
            headers: [],
            body: "",
            json: nil,
            transportError: why,
            attempts: attempts,
            summary: summary
        )
    }

    package init(
        status: Int?,
        headers: [(name: String, value: String)],
        body: String,
        json: JSONValue?,
        transportError: String?,
        attempts: Int,
        summary: String
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.json = json
        self.transportError = transportError
        self.attempts = attempts
        self.summary = summary
    }

    package init(_ r: TransportResponse, attempts: Int = 1, summary: String) {
        self.init(
            status: r.status,
            headers: r.headers,
            body: r.body,
            json: r.json,
            transportError: nil,
            attempts: attempts,
            summary: summary
        )
    }

    package func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The start of the response for a failure report.
    package var excerpt: String {
        if let transportError { return "no response: \(transportError)" }
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        var text = lines.prefix(30).joined(separator: "\n")
        if text.count > 1500 { text = String(text.prefix(1500)) }
        if lines.count > 30 || text.count < body.count { text += "\n…" }
        return "HTTP \(status.map(String.init) ?? "?")\n" + text
    }
}

extension Expectation {
    /// Every failed expectation except `event_sequence` (which needs requests; the runner checks it), in order:
    /// connection, status, attempts, headers, JSON paths.
    package func failures(_ response: StepResponse, _ vars: [String: JSONValue]) throws(ScenarioError) -> [String] {
        var out: [String] = []
        if let dropped = response.transportError {
            if transportError != true { out.append("expected a response, but got none (\(dropped))") }
            return out
        }
        if transportError == true {
            out.append("transport_error: expected a dropped connection, got HTTP \(response.status ?? 0)")
        }
        if let status, status != response.status {
            var text = "status: expected \(status), got \(response.status ?? 0)"
            if let e = response.json?["error"], let message = e["message"]?.stringValue {
                text +=
                    " (\([e["type"]?.stringValue, e["code"]?.stringValue].compactMap { $0 }.joined(separator: "/")): \(message))"
            }
            out.append(text)
        }
        if let attempts, attempts != response.attempts {
            out.append("attempts: expected \(attempts), took \(response.attempts)")
        }
        for (name, matcher) in headers {
            let actual = response.header(name).map(JSONValue.string)
            if let failure = try matcher.check(actual, vars) { out.append("header \(name): \(failure)") }
        }
        if !json.isEmpty {
            guard let body = response.json else {
                out.append("the response is not JSON, so \(json[0].path) cannot be checked")
                return out
            }
            out += try PathExpectation.failures(json, in: body, vars)
        }
        return out
    }
}

extension PathExpectation {
    /// Failures of path expectations against one JSON value.
    package static func failures(
        _ list: [PathExpectation],
        in json: JSONValue,
        _ vars: [String: JSONValue]
    )
        throws(ScenarioError) -> [String]
    {
        var out: [String] = []
        for e in list {
            let path = try JSONPath(Template.render(e.path, vars))
            if let failure = try e.matcher.check(path.evaluate(json), vars) { out.append("\(path): \(failure)") }
        }
        return out
    }
}

extension Matcher {
    /// `nil` when `actual` satisfies the matcher, else what went wrong.
    package func check(_ actual: JSONValue?, _ vars: [String: JSONValue]) throws(ScenarioError) -> String? {
        let present = actual != nil && actual != .null
        if let exists {
            if exists && !present { return "expected a value, but it is \(actual == nil ? "missing" : "null")" }
            if !exists && present { return "expected it to be absent, got \(Self.show(actual!))" }
        }
        if let expected = equals {
            let want = try Template.render(expected, vars)
            guard let actual else { return "expected \(Self.show(want)), but it is missing" }
            if !Self.same(want, actual) { return "expected \(Self.show(want)), got \(Self.show(actual))" }
        }
        if let pattern = matches {
            let rendered = try Template.render(pattern, vars)
            guard let actual, present else { return "expected to match /\(rendered)/, but it is missing" }
            let regex: Regex<AnyRegexOutput>
            do { regex = try Regex(rendered) } catch {
                throw ScenarioError(message: "'\(rendered)' is not a valid regular expression: \(error)")
            }
            let text = Template.text(of: actual)
            if (try? regex.firstMatch(in: text)) == nil {
                return "expected to match /\(rendered)/, got \(Self.show(actual))"
            }
        }
        if let count {
            let n: Int?
            switch actual {
            case .array(let a)?: n = a.count
            case .object(let o)?: n = o.count
            case .string(let s)?: n = s.count
            default: n = nil
            }
            guard let n else { return "expected \(count) elements, but it is \(actual.map(Self.show) ?? "missing")" }
            if n != count { return "expected \(count) element\(count == 1 ? "" : "s"), got \(n)" }
        }
        return nil
    }

    /// Equal as JSON, or scalars with the same text (`"42"` and `42`: form parameters come back as strings,
    /// YAML numbers are numbers, and a `{{capture}}` spliced into text is text).
    static func same(_ want: JSONValue, _ actual: JSONValue) -> Bool {
        if want == actual { return true }
        switch (want, actual) {
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): return Double(a) == b
        case (.string(let s), .int), (.string(let s), .double), (.string(let s), .bool):
            return s == Template.text(of: actual)
        case (.int, .string(let s)), (.double, .string(let s)), (.bool, .string(let s)):
            return s == Template.text(of: want)
        default: return false
        }
    }

    static func show(_ v: JSONValue) -> String {
        let text = v.serialized(pretty: false)
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}
