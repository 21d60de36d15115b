import Foundation

/// Every bank institution the simulator knows, with its accounts and their scripted behaviour.
///
/// The defaults are `Fixtures/*.json`, compiled into the binary as `DefaultFixtures` (regenerate with
/// `scripts/embed-fixtures.py`); `--fixtures DIR` and scenarios add institutions or override them:
///
/// ```swift
/// let bank = try BankFixtures.loadDefault().overlaying(directories: [URL(filePath: "my-fixtures")])
/// let success = bank.institution(id: "fcinst_Qn1a6jqpI0Gb84")?.account(id: "checking-success")
/// ```
///
/// Overlay rules (one institution per JSON file): a file whose `id` is new adds an institution and must be
/// complete; a file whose `id` is already known is merged over it as a JSON merge patch (RFC 7396: keys it
/// has replace, nested objects merge, `null` deletes, lists replace) except `accounts`, which merge by
/// fixture `id` (a known id is merge-patched, a new one appended). `"remove": true` beside an `id` removes
/// that institution or account. The merged result is validated as a whole.
package struct BankFixtures: Codable, Sendable, Equatable {
    /// Sorted by `position`, then name, then id.
    package var institutions: [FixtureInstitution]

    /// Institutions as given; a later one with the same id replaces an earlier one.
    package init(institutions: [FixtureInstitution] = []) {
        var byID: [String: FixtureInstitution] = [:]
        for institution in institutions { byID[institution.id] = institution }
        self.institutions = Self.sorted(Array(byID.values))
    }

    // MARK: Lookup

    package func institution(id: String) -> FixtureInstitution? { institutions.first { $0.id == id } }

    /// The institutions the flow shows before anything is typed.
    package var featured: [FixtureInstitution] { institutions.filter(\.featured) }

    /// The flow's institution search (see `FixtureInstitution.matches(search:)`).
    package func search(_ query: String) -> [FixtureInstitution] { institutions.filter { $0.matches(search: query) } }

    /// Institutions offering an account with this fixture id (ids are unique only within an institution).
    package func institutions(withAccount accountID: String) -> [FixtureInstitution] {
        institutions.filter { $0.account(id: accountID) != nil }
    }

    // MARK: Loading

    /// The defaults compiled into the binary (`Fixtures/*.json` via `DefaultFixtures`).
    package static func loadDefault() throws -> BankFixtures {
        try BankFixtures().overlaying(
            files: DefaultFixtures.files.map { (name: "Fixtures/\($0.name) (embedded)", json: $0.json) }
        )
    }

    /// Institutions read from `directories` (each a folder of `*.json`, or one `.json` file), in order:
    /// later directories add or override institutions by id and accounts by fixture id.
    package static func load(directories: [URL]) throws -> BankFixtures {
        try BankFixtures().overlaying(directories: directories)
    }

    /// These fixtures with `directories` laid over them, in order (e.g. the defaults plus `--fixtures`).
    package func overlaying(directories: [URL]) throws -> BankFixtures {
        var result = self
        for directory in directories {
            result = try result.overlaying(files: Self.readFiles(at: directory))
        }
        return result
    }

    /// These fixtures with one group of files laid over them. Two files of one group may not share an id.
    package func overlaying(files: [(name: String, json: String)]) throws -> BankFixtures {
        var result = self
        var seen: [String: String] = [:]
        for file in files {
            let value: JSONValue
            do {
                value = try JSONDecoder().decode(JSONValue.self, from: Data(file.json.utf8))
            } catch {
                throw FixtureError(file: file.name, message: "not valid JSON (\(Self.syntaxError(in: file.json)))")
            }
            if let id = value["id"]?.stringValue {
                if let other = seen[id] {
                    throw FixtureError(file: file.name, field: "id", message: "\"\(id)\" is also the id in \(other)")
                }
                seen[id] = file.name
            }
            result = try result.overlaying(value, source: file.name)
        }
        return result
    }

    /// These fixtures with one institution object laid over them (a fixture file's content, or the
    /// fixtures section of a scenario). `source` names it in errors.
    package func overlaying(_ institution: JSONValue, source: String) throws -> BankFixtures {
        guard case .object(var patch) = institution else {
            throw FixtureError(file: source, message: "must be a JSON object holding one institution")
        }
        guard let id = patch["id"]?.stringValue else {
            throw FixtureError(file: source, field: "id", message: "missing required field")
        }
        let remove = try Self.takeRemoveFlag(&patch, source: source, field: "remove")
        var result = self
        let existing = institutions.firstIndex { $0.id == id }

        if remove {
            guard let existing else {
                throw FixtureError(
                    file: source,
                    field: "remove",
                    message: "there is no institution \"\(id)\" to remove"
                )
            }
            result.institutions.remove(at: existing)
            return result
        }

        let merged: JSONValue
        if let existing {
            merged = try Self.mergeInstitution(Self.json(of: institutions[existing]), patch, source: source)
        } else {
            merged = .object(patch)
        }
        let decoded: FixtureInstitution
        do {
            decoded = try JSONDecoder().decode(FixtureInstitution.self, from: JSONEncoder().encode(merged))
        } catch {
            var failure = FixtureError(error, file: source, institution: merged)
            if existing != nil { failure.message += " (after merging over the earlier fixture for \(id))" }
            throw failure
        }
        if let existing {
            result.institutions[existing] = decoded
        } else {
            result.institutions.append(decoded)
        }
        result.institutions = Self.sorted(result.institutions)
        return result
    }

    // MARK: - Internals

    private static func sorted(_ list: [FixtureInstitution]) -> [FixtureInstitution] {
        list.sorted { ($0.position, $0.name, $0.id) < ($1.position, $1.name, $1.id) }
    }

    /// `*.json` directly inside `url` sorted by file name (hidden files skipped), or `url` itself when it is
    /// a `.json` file.
    private static func readFiles(at url: URL) throws -> [(name: String, json: String)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw FixtureError(file: url.path, message: "no such fixtures directory or file")
        }
        let urls: [URL]
        if isDirectory.boolValue {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: url.path)
            } catch {
                throw FixtureError(file: url.path, message: "cannot list directory (\(describe(error)))")
            }
            urls = names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
                .map { url.appendingPathComponent($0) }
        } else {
            guard url.pathExtension == "json" else {
                throw FixtureError(file: url.path, message: "a fixtures file must end in .json")
            }
            urls = [url]
        }
        return try urls.map { file in
            do {
                let data = try Data(contentsOf: file)
                guard let text = String(data: data, encoding: .utf8) else {
                    throw FixtureError(file: file.path, message: "not UTF-8 text")
                }
                return (name: file.path, json: text)
            } catch let error as FixtureError {
                throw error
            } catch {
                throw FixtureError(file: file.path, message: "cannot read (\(describe(error)))")
            }
        }
    }

    private static func json(of institution: FixtureInstitution) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(institution))
    }

    /// Removes `remove` from an overlay object; true when it asked for removal.
    private static func takeRemoveFlag(
        _ object: inout [String: JSONValue],
        source: String,
        field: String
    ) throws -> Bool {
        guard let flag = object.removeValue(forKey: "remove") else { return false }
        guard let value = flag.boolValue else {
            throw FixtureError(file: source, field: field, message: "expected true or false")
        }
        return value
    }

    /// RFC 7396 over the institution, with `accounts` merged by fixture id.
    private static func mergeInstitution(
        _ base: JSONValue,
        _ patch: [String: JSONValue],
        source: String
    ) throws -> JSONValue {
        var patch = patch
        guard case .array(let accountPatches)? = patch.removeValue(forKey: "accounts") else {
            return mergePatch(base, .object(patch))  // no accounts, or not a list: plain merge (decoding reports it)
        }
        var merged = mergePatch(base, .object(patch))
        var accounts = merged["accounts"]?.arrayValue ?? []
        var seen = Set<String>()
        for (index, element) in accountPatches.enumerated() {
            guard case .object(var accountPatch) = element, let id = accountPatch["id"]?.stringValue else {
                accounts.append(element)  // decoding names what is wrong with it
                continue
            }
            let field = "accounts[\"\(id)\"]"
            guard seen.insert(id).inserted else {
                throw FixtureError(
                    file: source,
                    field: "accounts[\(index)].id",
                    message: "account \"\(id)\" appears twice"
                )
            }
            let remove = try takeRemoveFlag(&accountPatch, source: source, field: field + ".remove")
            let position = accounts.firstIndex { $0["id"]?.stringValue == id }
            switch (position, remove) {
            case (let position?, true): accounts.remove(at: position)
            case (nil, true):
                throw FixtureError(
                    file: source,
                    field: field + ".remove",
                    message: "there is no account \"\(id)\" to remove"
                )
            case (let position?, false): accounts[position] = mergePatch(accounts[position], .object(accountPatch))
            case (nil, false): accounts.append(.object(accountPatch))
            }
        }
        merged["accounts"] = .array(accounts)
        return merged
    }

    /// JSON Merge Patch (RFC 7396).
    static func mergePatch(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in changes {
            if value.isNull {
                result.removeValue(forKey: key)
            } else {
                result[key] = mergePatch(result[key] ?? .null, value)
            }
        }
        return .object(result)
    }

    /// Where JSON text goes wrong, as `line L, column C` when Foundation says at which character.
    private static func syntaxError(in text: String) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            return "the decoder rejected it"
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            guard let range = detail.range(of: #"character (\d+)"#, options: .regularExpression),
                let offset = Int(detail[range].dropFirst("character ".count))
            else { return detail }
            let before = text.utf8.prefix(offset)
            let line = before.filter { $0 == UInt8(ascii: "\n") }.count + 1
            let column =
                before.count
                - (before.lastIndex(of: UInt8(ascii: "\n")).map { before.distance(from: before.startIndex, to: $0) + 1 }
                    ?? 0) + 1
            var message = detail.replacingOccurrences(of: " around character \(offset)", with: "")
            if message.hasSuffix(".") { message.removeLast() }
            return "\(message) at line \(line), column \(column)"
        }
    }

    private static func describe(_ error: any Error) -> String {
        if case .dataCorrupted(let context)? = error as? DecodingError {
            if let underlying = context.underlyingError { return "\(underlying)" }
            return context.debugDescription
        }
        return "\(error)"
    }
}
