import Foundation

/// `/v1/test_helpers/fault_rules` (simulator only; secret keys): fault rules at run time. Rules belong to the
/// caller's account and apply only to that account's requests; they live in memory (see `FaultRegistry`).
///
/// | Method | Path | Notes |
/// |---|---|---|
/// | POST | /v1/test_helpers/fault_rules | `match[method]`, `match[path]` (required), `match[parameter][name\|value]`; `trigger[nth\|times\|every\|probability]` (+ `trigger[seed]`); `effect[error][status\|type\|code\|message\|param\|decline_code]`, `effect[latency_ms]`, `effect[drop]` (`before`\|`after`) |
/// | GET | /v1/test_helpers/fault_rules | Stripe list, newest first |
/// | GET | /v1/test_helpers/fault_rules/:id | with its `matched` and `fired` counters |
/// | DELETE | /v1/test_helpers/fault_rules/:id | the deleted stub |
/// | DELETE | /v1/test_helpers/fault_rules | clears the account's rules; a list of the deleted stubs |
struct FaultRulesController {
    static let url = "/v1/test_helpers/fault_rules"
    let faults: FaultRegistry

    func addRoutes(to api: APIRoutes) {
        api.post(Self.url, FaultRule.Spec.schema(), create)
        api.get(Self.url, Pagination.schema, list)
        api.get(Self.url + "/:id", [:], retrieve)
        api.delete(Self.url + "/:id", [:], delete)
        api.delete(Self.url, [:], clear)
    }

    @Sendable func create(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let spec = try FaultRule.Spec(req.params)
        let rule = FaultRule(id: store.ids.make("fr"), account: req.account, created: store.now, spec: spec)
        faults.add(rule)
        return rule.render()
    }

    @Sendable func retrieve(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        guard let rule = faults.find(req.path(), account: req.account) else {
            throw StripeError.resourceMissing("fault_rule", req.path())
        }
        return rule.render()
    }

    @Sendable func list(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let page = try Pagination.pageRequest(req.params)
        var rules = faults.list(account: req.account)[...]
        if let after = page.startingAfter {
            guard let i = rules.firstIndex(where: { $0.id == after }) else {
                throw StripeError.resourceMissing("fault_rule", after, param: "starting_after")
            }
            rules = rules[(i + 1)...]
        } else if let before = page.endingBefore {
            guard let i = rules.firstIndex(where: { $0.id == before }) else {
                throw StripeError.resourceMissing("fault_rule", before, param: "ending_before")
            }
            let earlier = rules[..<i]
            return Pagination.list(
                earlier.suffix(page.limit).map { $0.render() },
                hasMore: earlier.count > page.limit,
                url: Self.url
            )
        }
        let shown = rules.prefix(page.limit)
        return Pagination.list(shown.map { $0.render() }, hasMore: rules.count > shown.count, url: Self.url)
    }

    @Sendable func delete(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        guard let rule = faults.remove(req.path(), account: req.account) else {
            throw StripeError.resourceMissing("fault_rule", req.path())
        }
        return Self.deletedStub(rule.id)
    }

    @Sendable func clear(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let removed = faults.clear(account: req.account)
        return Pagination.list(removed.map { Self.deletedStub($0.id) }, hasMore: false, url: Self.url)
    }

    static func deletedStub(_ id: String) -> JSONValue {
        ["id": .string(id), "object": "test_helpers.fault_rule", "deleted": true]
    }
}
