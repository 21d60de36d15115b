import Foundation
import Hummingbird

/// The request log: the account's last API requests (`RequestLog`), bodies masked.
extension Dashboard.Controller {
    func addRequestLogRoutes(to router: Router<AppRequestContext>) {
        router.get("/dashboard/requests") { request, context in
            await self.page(request, context) { viewer in self.requests(viewer) }
        }
        router.get("/dashboard/requests/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            return await self.page(request, context) { viewer in try self.requestDetail(id, viewer) }
        }
    }

    func requests(_ viewer: Viewer) -> HTML {
        var entries = deps.requestLog.entries(account: viewer.account)
        if let method = viewer.param("method") { entries = entries.filter { $0.method == method } }
        switch viewer.param("status") {
        case "2xx": entries = entries.filter { (200..<300).contains($0.status) }
        case "4xx": entries = entries.filter { (400..<500).contains($0.status) }
        case "5xx": entries = entries.filter { $0.status >= 500 }
        default: break
        }
        if let q = viewer.param("q")?.lowercased() {
            entries = entries.filter {
                $0.path.lowercased().contains(q) || $0.requestID.lowercased().contains(q)
                    || $0.requestBody.lowercased().contains(q) || $0.responseBody.lowercased().contains(q)
            }
        }
        // Offset pages: the log is a ring in memory, newest first.
        let offset = max(0, viewer.param("offset").flatMap { Int($0) } ?? 0)
        let pageItems = Array(entries.dropFirst(offset).prefix(Dashboard.pageSize))
        var links: [HTML] = []
        let kept: [(String, String?)] = ["q", "method", "status"].map { ($0, viewer.param($0)) }
        if offset > 0 {
            links.append(
                "<a href=\"\(Dashboard.url(viewer.path, kept + [("offset", String(max(0, offset - Dashboard.pageSize)))]))\" data-testid=\"page-newer\">← Newer</a>"
            )
        }
        if offset + Dashboard.pageSize < entries.count {
            links.append(
                "<a href=\"\(Dashboard.url(viewer.path, kept + [("offset", String(offset + Dashboard.pageSize))]))\" data-testid=\"page-older\">Older →</a>"
            )
        }
        let extra: HTML = """
            \(Dashboard.select("method", ["GET", "POST", "DELETE"], selected: viewer.param("method"), any: "any method"))
            \(Dashboard.select("status", ["2xx", "4xx", "5xx"], selected: viewer.param("status"), any: "any status"))
            """
        return Dashboard.listPage(
            title: "Requests",
            viewer: viewer,
            active: "/dashboard/requests",
            filters: Dashboard.filterForm(viewer, placeholder: "path, request id, body text…", extra: extra),
            table: Dashboard.requestTable(pageItems, withBodies: true),
            pager: links.isEmpty ? .empty : "<div class=\"pager\">\(links)</div>",
            intro: """
                <p class="muted">The last \(deps.requestLog.capacity) API requests made with this account's keys, kept in memory
                (\(entries.count) shown). Keys, client secrets and signing secrets are masked; headers are not kept.</p>
                """
        )
    }

    func requestDetail(_ id: String, _ viewer: Viewer) throws -> HTML {
        guard let entry = deps.requestLog.entry(account: viewer.account, requestID: id) else {
            throw StripeError(
                status: 404,
                code: "resource_missing",
                message:
                    "No request \(id) in this account's log (it keeps the last \(deps.requestLog.capacity) requests, in memory)."
            )
        }
        let query = entry.path.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init)
        let queryHTML: HTML = query.map { "<h2>Query</h2>\(Dashboard.body($0, form: true))" } ?? .empty
        let body: HTML = """
            <h1><code>\(entry.method) \(entry.path.split(separator: "?").first.map(String.init) ?? entry.path)</code></h1>
            <section class="card"><dl class="fields">
              <dt>Request id</dt><dd><code>\(entry.requestID)</code></dd>
              <dt>Status</dt><dd>\(Dashboard.statusCode(entry.status))</dd>
              <dt>Latency</dt><dd>\(String(format: "%.1f", entry.latencyMs)) ms</dd>
              <dt>Time</dt><dd>\(Dashboard.time(entry.atMillis / 1000))</dd>
              <dt>Objects</dt><dd>\(Dashboard.referencedIDs(entry.responseBody).map(Dashboard.idLink).joined(" "))</dd>
            </dl></section>
            <div class="grid2">
              <section class="card" data-testid="request-body">\(queryHTML)<h2>Request body</h2>\(Dashboard.body(entry.requestBody, form: true))</section>
              <section class="card" data-testid="response-body"><h2>Response body</h2>\(Dashboard.body(entry.responseBody))</section>
            </div>
            """
        return Dashboard.layout(
            title: "\(entry.method) \(entry.path)",
            viewer: viewer,
            active: "/dashboard/requests",
            body: body
        )
    }
}

extension Dashboard {
    static func requestTable(_ entries: [RequestLogEntry], withBodies: Bool) -> HTML {
        let rows: [HTML] = entries.map { e in
            let bodies: HTML =
                withBodies
                ? """
                <details><summary>bodies</summary><div class="grid2"><div><strong>Request</strong>\(body(e.requestBody, form: true))</div>
                <div><strong>Response</strong>\(body(e.responseBody))</div></div></details>
                """ : .empty
            return """
                <tr data-testid="row-\(e.requestID)"><td>\(time(e.atMillis / 1000))</td><td><code>\(e.method)</code></td>
                <td><a href="/dashboard/requests/\(e.requestID)"><code>\(e.path)</code></a>\(bodies)</td>
                <td>\(statusCode(e.status))</td><td class="num">\(String(format: "%.1f", e.latencyMs)) ms</td></tr>
                """
        }
        return table(
            ["Time", "Method", "Path", "Status", "Latency"],
            rows,
            empty: "No requests logged for this account yet.",
            testID: "requests"
        )
    }

    /// Distinct object ids a JSON body mentions (the response's object and what it refers to), in order.
    static func referencedIDs(_ text: String) -> [String] {
        guard let json = JSONValue.parse(text) else { return [] }
        var seen: [String] = []
        func walk(_ v: JSONValue) {
            switch v {
            case .string(let s) where objectPath(s) != nil && !s.hasPrefix("req_"):
                if !seen.contains(s) { seen.append(s) }
            case .array(let a): a.forEach(walk)
            case .object(let o):
                // The object's own id first, then what it refers to.
                let keys = (o["id"] == nil ? [] : ["id"]) + o.keys.filter { $0 != "id" }.sorted()
                for key in keys { walk(o[key]!) }
            default: break
            }
        }
        walk(json)
        return Array(seen.prefix(30))
    }
}
