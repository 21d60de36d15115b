import Foundation
import Synchronization

/// The fault rules a server holds, in memory (they are test-run state, not Stripe data: they are not written to
/// `--db` and are gone after a restart). Rules are kept in creation order; when several fire on one request,
/// the oldest one's effect applies. Every rule that matches a request counts it.
package final class FaultRegistry: Sendable {
    private let rules = Mutex<[FaultRule]>([])
    /// Lets requests skip all fault work while no rule exists.
    private let count = Atomic<Int>(0)

    package init() {}

    /// Paths fault rules never apply to: the rule endpoints themselves (a `/v1/**` rule must not lock you out).
    package static func isExempt(_ path: String) -> Bool {
        path.hasPrefix("/v1/test_helpers/fault_rules")
    }

    package var isEmpty: Bool { count.load(ordering: .relaxed) == 0 }

    package func add(_ rule: FaultRule) {
        rules.withLock { rules in
            rules.append(rule)
            count.store(rules.count, ordering: .relaxed)
        }
    }

    /// The account's rules, newest first.
    package func list(account: String) -> [FaultRule] {
        rules.withLock { $0.filter { $0.account == account }.reversed() }
    }

    package func find(_ id: String, account: String) -> FaultRule? {
        rules.withLock { $0.first { $0.id == id && $0.account == account } }
    }

    /// Removes one rule; `nil` when the account has no such rule.
    package func remove(_ id: String, account: String) -> FaultRule? {
        rules.withLock { rules in
            guard let i = rules.firstIndex(where: { $0.id == id && $0.account == account }) else { return nil }
            let removed = rules.remove(at: i)
            count.store(rules.count, ordering: .relaxed)
            return removed
        }
    }

    /// Removes every rule of the account; returns them, newest first.
    package func clear(account: String) -> [FaultRule] {
        rules.withLock { rules in
            let removed = rules.filter { $0.account == account }
            rules.removeAll { $0.account == account }
            count.store(rules.count, ordering: .relaxed)
            return removed.reversed()
        }
    }

    /// Whether some rule that matches this method, path and account also needs the request's parameters (so
    /// the body must be read before deciding).
    package func needsParameters(method: String, path: String, account: String) -> Bool {
        rules.withLock { rules in
            rules.contains { $0.spec.match.parameter != nil && Self.matches($0, method, path, account, nil) }
        }
    }

    /// Counts the request against every matching rule and returns the oldest rule that fires, if any.
    /// - Parameter parameters: the request's parameters in bracket notation (query and body), when read.
    package func evaluate(
        method: String,
        path: String,
        account: String,
        parameters: [(String, String)]?
    )
        -> FaultRule?
    {
        rules.withLock { rules in
            var winner: FaultRule?
            for i in rules.indices where Self.matches(rules[i], method, path, account, parameters) {
                if rules[i].count(), winner == nil { winner = rules[i] }
            }
            return winner
        }
    }

    private static func matches(
        _ rule: FaultRule,
        _ method: String,
        _ path: String,
        _ account: String,
        _ parameters: [(String, String)]?
    ) -> Bool {
        let m = rule.spec.match
        guard rule.account == account, m.method == nil || m.method == method, m.path.matches(path) else {
            return false
        }
        guard let wanted = m.parameter else { return true }
        // Without the parameters (the pre-check), a parameter rule is a candidate.
        guard let parameters else { return true }
        return parameters.contains { name, value in
            Self.name(name, matches: wanted.name) && (wanted.value == nil || wanted.value == value)
        }
    }

    /// `a[0][b]` matches `a[0][b]` and `a[][b]` (`[]`: any list index).
    private static func name(_ name: String, matches wanted: String) -> Bool {
        if name == wanted { return true }
        guard wanted.contains("[]") else { return false }
        let a = FormDecoding.splitKey(name)
        let b = FormDecoding.splitKey(wanted)
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { x, y in x == y || (y.isEmpty && Int(x) != nil) }
    }

    /// Flattens decoded parameters into bracket-notation pairs (`a[b][c]`, lists as `a[0]`).
    package static func flatten(_ raw: RawHash) -> [(String, String)] {
        var out: [(String, String)] = []
        func walk(_ name: String, _ value: RawParam) {
            switch value {
            case .string(let s): out.append((name, s))
            case .int(let i): out.append((name, String(i)))
            case .double(let d): out.append((name, String(d)))
            case .bool(let b): out.append((name, String(b)))
            case .null: out.append((name, ""))
            case .list(let l): for (i, v) in l.enumerated() { walk("\(name)[\(i)]", v) }
            case .hash(let h): for (k, v) in h.entries { walk("\(name)[\(k)]", v) }
            }
        }
        for (k, v) in raw.entries { walk(k, v) }
        return out
    }
}
