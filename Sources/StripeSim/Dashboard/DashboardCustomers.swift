import Foundation
import Hummingbird

/// Customers (v1) and Accounts v2 acting as customers.
extension Dashboard.Controller {
    func addCustomerRoutes(to router: Router<AppRequestContext>) {
        router.get("/dashboard/customers") { request, context in
            await self.page(request, context) { viewer in try await self.customers(viewer) }
        }
        router.get("/dashboard/accounts") { request, context in
            await self.page(request, context) { viewer in try await self.v2Accounts(viewer) }
        }
    }

    func customers(_ viewer: Viewer) async throws -> HTML {
        try await read(viewer) { store in
            let page = try Dashboard.listPage(store, Customer.self, [], viewer)
            let rows: [HTML] = page.items.map { c in
                let state: HTML = c.deleted ? Dashboard.badge("deleted") : .empty
                return """
                    <tr data-testid="row-\(c.id)"><td>\(Dashboard.idLink(c.id)) \(state)</td><td>\(c.name ?? "")</td><td>\(c.email ?? "")</td>
                    <td>\(Dashboard.idLink(c.customerAccount))</td><td>\(Dashboard.idLink(c.testClock))</td><td>\(Dashboard.time(c.created))</td></tr>
                    """
            }
            return Dashboard.listPage(
                title: "Customers",
                viewer: viewer,
                active: "/dashboard/customers",
                filters: Dashboard.filterForm(viewer, placeholder: "id, name, email, metadata…"),
                table: Dashboard.table(
                    ["Customer", "Name", "Email", "v2 account", "Test clock", "Created"],
                    rows,
                    empty: "No customers match.",
                    testID: "customers"
                ),
                pager: Dashboard.pager(viewer, ids: page.items.map(\.id), hasMore: page.hasMore)
            )
        }
    }

    func v2Accounts(_ viewer: Viewer) async throws -> HTML {
        try await read(viewer) { store in
            var filters: [Filter] = []
            switch viewer.param("status") {
            case "closed": filters.append(.equals("closed", .int(1)))
            case "open": filters.append(.equals("closed", .int(0)))
            default: break
            }
            let page = try Dashboard.listPage(store, V2Account.self, filters, viewer)
            let rows: [HTML] = page.items.map { a in
                """
                <tr data-testid="row-\(a.id)"><td>\(Dashboard.idLink(a.id))</td><td>\(a.displayName ?? "")</td><td>\(a.contactEmail ?? "")</td>
                <td>\(a.appliedConfigurations.joined(separator: ", "))</td><td>\(Dashboard.badge(a.closed ? "closed" : "open"))</td>
                <td>\(Dashboard.time(a.created))</td></tr>
                """
            }
            return Dashboard.listPage(
                title: "v2 accounts",
                viewer: viewer,
                active: "/dashboard/accounts",
                filters: Dashboard.filterForm(
                    viewer,
                    placeholder: "id, name, email…",
                    extra: Dashboard.select("status", ["open", "closed"], selected: viewer.param("status"))
                ),
                table: Dashboard.table(
                    ["Account", "Display name", "Contact email", "Configurations", "Status", "Created"],
                    rows,
                    empty: "No v2 accounts match.",
                    testID: "accounts"
                ),
                pager: Dashboard.pager(viewer, ids: page.items.map(\.id), hasMore: page.hasMore)
            )
        }
    }
}
