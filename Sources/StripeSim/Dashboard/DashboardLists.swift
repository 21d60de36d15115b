import Foundation

/// What every list page shares: search, cursor pagination (25 a page, newest first), filter forms, tables.
extension Dashboard {
    static let pageSize = 25

    /// `%`, `_` and `\` taken literally in a `LIKE` pattern (the store's `LIKE` uses `\` as its escape).
    static func likeEscape(_ text: String) -> String {
        var out = ""
        for c in text {
            if c == "\\" || c == "%" || c == "_" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// Rows whose JSON mentions `text` anywhere (ids, names, emails, amounts…); case-insensitive for ASCII.
    /// Characters JSON may escape in the stored body (`/` as `\/`, `"`, `\`) match anything there.
    static func contains(_ text: String) -> Filter {
        var pattern = "%"
        for c in text {
            switch c {
            case "/", "\"", "\\": pattern += "%"
            case "%", "_": pattern += "\\" + String(c)
            default: pattern.append(c)
            }
        }
        return .like("body", pattern + "%")
    }

    /// Rows whose JSON holds the exact string `id` (as a value: `"cus_…"`), for related objects.
    static func mentions(_ id: String) -> Filter { .like("body", "%\"" + likeEscape(id) + "\"%") }

    /// A page of `T` for the viewer's `q`, `starting_after` / `ending_before`, plus `filters`.
    static func listPage<T: StoredResource>(
        _ store: Store,
        _ type: T.Type,
        _ filters: [Filter],
        _ viewer: Viewer
    )
        throws -> Page<T>
    {
        var filters = filters
        if let q = viewer.param("q") { filters.append(contains(q)) }
        return try store.list(
            T.self,
            where: filters,
            page: PageRequest(
                limit: pageSize,
                startingAfter: viewer.param("starting_after"),
                endingBefore: viewer.param("ending_before")
            )
        )
    }

    /// "Newer" / "Older" links for a cursor page, keeping the page's filters.
    static func pager(_ viewer: Viewer, ids: [String], hasMore: Bool, keep: [String] = ["q", "status", "type"]) -> HTML
    {
        let forward = viewer.param("ending_before") == nil
        let kept = keep.map { ($0, viewer.param($0)) }
        var links: [HTML] = []
        if let first = ids.first, (forward && viewer.param("starting_after") != nil) || (!forward && hasMore) {
            links.append(
                "<a href=\"\(url(viewer.path, kept + [("ending_before", Optional(first))]))\" data-testid=\"page-newer\">← Newer</a>"
            )
        }
        if let last = ids.last, (forward && hasMore) || !forward {
            links.append(
                "<a href=\"\(url(viewer.path, kept + [("starting_after", Optional(last))]))\" data-testid=\"page-older\">Older →</a>"
            )
        }
        return links.isEmpty ? .empty : "<div class=\"pager\">\(links)</div>"
    }

    /// The search box (and the page's own filters) of a list.
    static func filterForm(_ viewer: Viewer, placeholder: String, extra: HTML = .empty) -> HTML {
        """
        <form method="get" action="\(viewer.path)" class="filters" role="search">
          <input type="search" name="q" value="\(viewer.param("q"))" placeholder="\(placeholder)" aria-label="Search" data-testid="search">
          \(extra)<button type="submit" class="secondary">Filter</button>
          <a href="\(viewer.path)">clear</a>
        </form>
        """
    }

    /// A `<select>` whose first option ("any") sends nothing.
    static func select(_ name: String, _ options: [String], selected: String?, any: String = "any status") -> HTML {
        let items: [HTML] = options.map { o in
            let sel: HTML = o == selected ? " selected" : ""
            return "<option value=\"\(o)\"\(sel)>\(o.replacingOccurrences(of: "_", with: " "))</option>"
        }
        return "<select name=\"\(name)\" aria-label=\"\(name)\"><option value=\"\">\(any)</option>\(items)</select>"
    }

    /// A table, or a short note when there is nothing to show.
    static func table(
        _ headers: [String],
        _ rows: [HTML],
        empty: String = "Nothing here yet.",
        testID: String? = nil
    ) -> HTML {
        guard !rows.isEmpty else { return "<p class=\"muted\" data-testid=\"empty\">\(empty)</p>" }
        let head: [HTML] = headers.map { "<th>\($0)</th>" }
        let tid: HTML = testID.map { " data-testid=\"\($0)\"" } ?? .empty
        return "<table\(tid)><thead><tr>\(head)</tr></thead><tbody>\(rows)</tbody></table>"
    }

    /// A titled list page: heading, filters, table, pager.
    static func listPage(
        title: String,
        viewer: Viewer,
        active: String,
        filters: HTML,
        table: HTML,
        pager: HTML,
        intro: HTML = .empty,
        refreshSeconds: Int? = nil
    ) -> HTML {
        layout(
            title: title,
            viewer: viewer,
            active: active,
            refreshSeconds: refreshSeconds,
            body: """
                <h1>\(title)</h1>\(intro)
                <section class="card">\(filters)\(table)\(pager)</section>
                """
        )
    }
}
