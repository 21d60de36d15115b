import Foundation
import HTTPTypes
import Testing

@testable import StripeSim

@Suite struct CustomersAPITests {
    @Test func createReturnsStripeShape() async throws {
        try await TestApp().run { c in
            let r = try await c.post(
                "/v1/customers",
                "email=jenny.rosen%40example.com&name=Jenny+Rosen&metadata[order_id]=6735&address[city]=Paris&preferred_locales[]=fr"
            )
            #expect(r.status == 200)
            #expect(r.id.hasPrefix("cus_"))
            #expect(r["object"] == "customer")
            #expect(r["email"] == "jenny.rosen@example.com")
            #expect(r["name"] == "Jenny Rosen")
            #expect(r["metadata"] == ["order_id": "6735"])
            #expect(
                r["address"] == [
                    "city": "Paris", "country": nil, "line1": nil, "line2": nil, "postal_code": nil, "state": nil,
                ]
            )
            #expect(r["preferred_locales"] == ["fr"])
            #expect(r["livemode"] == false)
            #expect(r["balance"] == 0)
            #expect(r["tax_exempt"] == "none")
            #expect(r["test_clock"] == .null)
            #expect(r["invoice_settings.default_payment_method"] == .null)
            #expect(r["created"]?.intValue == 1_767_225_600)
            // id and object lead, as in Stripe's responses.
            #expect(r.text.hasPrefix("{\n  \"id\": \"cus_"))
        }
    }

    @Test func retrieveUpdateDeleteLifecycle() async throws {
        try await TestApp().run { c in
            let id = try await c.post("/v1/customers", "email=a%40b.co&metadata[a]=1&metadata[b]=2").id
            #expect(try await c.get("/v1/customers/\(id)")["email"] == "a@b.co")

            let updated = try await c.post("/v1/customers/\(id)", "name=New&metadata[a]=&email=&description=hi")
            #expect(updated["name"] == "New")
            #expect(updated["metadata"] == ["b": "2"])
            #expect(updated["email"] == .null)
            #expect(updated["description"] == "hi")

            let event = try await c.get("/v1/events?type=customer.updated")["data.0"]
            #expect(event?["data"]?["previous_attributes"]?["name"] == .null)
            #expect(event?["data"]?["previous_attributes"]?["email"] == "a@b.co")
            #expect(event?["data"]?["previous_attributes"]?["metadata"] == ["a": "1"])

            let deleted = try await c.delete("/v1/customers/\(id)")
            #expect(deleted.json == ["id": .string(id), "object": "customer", "deleted": true])
            #expect(try await c.get("/v1/customers/\(id)").json == deleted.json)
            let again = try await c.post("/v1/customers/\(id)", "name=x")
            #expect(again.status == 404)
            #expect(try await c.delete("/v1/customers/\(id)").status == 404)
            #expect(try await c.get("/v1/customers")["data"] == [])
            let types = try await c.get("/v1/events")["data"]?.arrayValue?.compactMap { $0["type"]?.stringValue }
            #expect(types == ["customer.deleted", "customer.updated", "customer.created"])
        }
    }

    /// Lists and retrieves answer with each customer's stored API body: byte for byte what rendering the object
    /// would give, whatever its text holds (line breaks, quotes, backslashes, non-ASCII), also inside a list.
    @Test func storedBodiesAnswerExactlyAsRenderingWould() async throws {
        try await TestApp().run { c in
            let names = ["Line%0ABreak", "Quote+%22q%22+back%5Cslash", "Zo%C3%AB+%F0%9F%A6%8A", "Tab%09end"]
            var created: [JSONValue] = []
            for name in names {
                let r = try await c.post("/v1/customers", "name=\(name)&metadata[k]=a%0Ab&address[line1]=%7B%7D")
                #expect(r.status == 200)
                let fetched = try await c.get("/v1/customers/\(r.id)")
                #expect(fetched.text == r.text)
                #expect(fetched.text == fetched.json.serialized())
                created.insert(r.json, at: 0)
            }
            for query in [
                "", "?limit=2", "?limit=2&starting_after=\(created[1]["id"]?.stringValue ?? "")", "?email=none%40x.com",
            ] {
                let list = try await c.get("/v1/customers\(query)")
                #expect(list.status == 200)
                #expect(list.text == list.json.serialized(), "\(query)")
            }
            let all = try await c.get("/v1/customers")
            #expect(all.text == Pagination.list(created, hasMore: false, url: "/v1/customers").serialized())
            let expanded = try await c.get("/v1/customers?limit=1&expand[]=data.test_clock")
            #expect(expanded["data.0.id"] == created[0]["id"])
        }
    }

    @Test func missingCustomerIsResourceMissing() async throws {
        try await TestApp().run { c in
            let r = try await c.get("/v1/customers/cus_nope")
            #expect(r.status == 404)
            #expect(r["error.code"] == "resource_missing")
            #expect(r["error.param"] == "id")
            #expect(r["error.message"] == "No such customer: 'cus_nope'")
            #expect(r["error.doc_url"] == "https://stripe.com/docs/error-codes/resource-missing")
        }
    }

    @Test func listPaginatesNewestFirst() async throws {
        let app = try TestApp()
        try await app.run { c in
            var ids: [String] = []
            for i in 0..<5 {
                ids.append(try await c.post("/v1/customers", "email=u\(i)%40x.io").id)
                app.clock.advance(by: 10)
            }
            let first = try await c.get("/v1/customers?limit=2")
            #expect(first["data"]?.arrayValue?.map { $0["id"]?.stringValue ?? "" } == [ids[4], ids[3]])
            #expect(first["has_more"] == true)
            #expect(first["url"] == "/v1/customers")
            let second = try await c.get("/v1/customers?limit=2&starting_after=\(ids[3])")
            #expect(second["data"]?.arrayValue?.map { $0["id"]?.stringValue ?? "" } == [ids[2], ids[1]])
            let last = try await c.get("/v1/customers?limit=2&starting_after=\(ids[1])")
            #expect(last["data"]?.arrayValue?.count == 1)
            #expect(last["has_more"] == false)
            let before = try await c.get("/v1/customers?limit=2&ending_before=\(ids[1])")
            #expect(before["data"]?.arrayValue?.map { $0["id"]?.stringValue ?? "" } == [ids[3], ids[2]])
            #expect(before["has_more"] == true)
            #expect(try await c.get("/v1/customers?email=u2%40x.io")["data.0.id"]?.stringValue == ids[2])
            let created = try await c.get("/v1/customers?created[gte]=1767225620&created[lt]=1767225640")
            #expect(created["data"]?.arrayValue?.map { $0["id"]?.stringValue ?? "" } == [ids[3], ids[2]])
            #expect(try await c.get("/v1/customers?created=1767225610")["data.0.id"]?.stringValue == ids[1])
        }
    }

    @Test(arguments: [
        ("limit=0", "This value must be greater than or equal to 1."),
        ("limit=101", "This value must be less than or equal to 100."),
        ("limit=x", "Invalid integer: x"),
        (
            "starting_after=cus_a&ending_before=cus_b",
            "Received both starting_after and ending_before parameters. Please pass in only one."
        ),
        ("starting_after=cus_missing", "No such customer: 'cus_missing'"),
        ("created[foo]=1", "Received unknown parameter: created[foo]"),
        ("bogus=1", "Received unknown parameter: bogus"),
    ])
    func badListParameters(_ query: String, _ message: String) async throws {
        try await TestApp().run { c in
            let r = try await c.get("/v1/customers?\(query)")
            #expect(r.status == 400)
            #expect(r["error.message"]?.stringValue == message)
        }
    }

    @Test func searchQueryLanguage() async throws {
        let app = try TestApp()
        try await app.run { c in
            let a = try await c.post("/v1/customers", "email=jenny%40example.com&name=Jenny+Rosen&metadata[tier]=gold")
                .id
            app.clock.advance(by: 100)
            let b = try await c.post("/v1/customers", "email=sam%40example.com&name=Sam+Jones&metadata[tier]=silver").id
            func ids(_ q: String) async throws -> [String] {
                let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let r = try await c.get("/v1/customers/search?query=\(encoded)")
                #expect(r.status == 200, "\(q): \(r.text)")
                return r["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            }
            #expect(try await ids("email:'jenny@example.com'") == [a])
            #expect(try await ids("name~\"jones\"") == [b])
            #expect(try await ids("metadata['tier']:'gold'") == [a])
            #expect(try await ids("created>1767225650") == [b])
            #expect(try await ids("name~'Rosen' OR name~'Jones'") == [b, a])
            #expect(try await ids("name~'Rosen' AND metadata['tier']:'silver'") == [])
            #expect(try await ids("-metadata['tier']:'gold'") == [b])
            let page = try await c.get("/v1/customers/search?query=created%3E0&limit=1&expand[]=total_count")
            #expect(page["object"] == "search_result")
            #expect(page["total_count"] == 2)
            #expect(page["has_more"] == true)
            let next = try #require(page["next_page"]?.stringValue)
            let page2 = try await c.get("/v1/customers/search?query=created%3E0&limit=1&page=\(next)")
            #expect(page2["data.0.id"]?.stringValue == a)
            #expect(page2["next_page"] == .null)
            #expect(page2["total_count"] == nil)
        }
    }

    @Test(arguments: ["asdf", "foo:'bar'", "email>3", "name~'ab'", "a:'1' AND b:'2' OR c:'3'", ""])
    func badSearchQueriesAre400(_ q: String) async throws {
        try await TestApp().run { c in
            let r = try await c.get(
                "/v1/customers/search?query=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            )
            #expect(r.status == 400)
            #expect(r["error.type"] == "invalid_request_error")
        }
        try await TestApp().run { c in
            let r = try await c.get("/v1/customers/search")
            #expect(r["error.code"] == "parameter_missing")
        }
    }

    @Test func expandTestClockAndIncludables() async throws {
        try await TestApp().run { c in
            let clock = try await c.post("/v1/test_helpers/test_clocks", "frozen_time=1700000000&name=c").id
            let cus = try await c.post("/v1/customers", "test_clock=\(clock)&expand[]=test_clock")
            #expect(cus["test_clock.id"]?.stringValue == clock)
            #expect(cus["test_clock.object"] == "test_helpers.test_clock")
            #expect(cus["created"] == 1_700_000_000)
            let r = try await c.get("/v1/customers/\(cus.id)?expand[]=sources&expand[]=tax&expand[]=cash_balance")
            #expect(r["sources.object"] == "list")
            #expect(r["tax.automatic_tax"] == "unrecognized_location")
            #expect(r["cash_balance.object"] == "cash_balance")
            let list = try await c.get("/v1/customers?test_clock=\(clock)&expand[0]=data.test_clock")
            #expect(list["data.0.test_clock.frozen_time"] == 1_700_000_000)
            let bad = try await c.get("/v1/customers/\(cus.id)?expand[]=email")
            #expect(bad.status == 400)
            #expect(bad["error.message"] == "This property cannot be expanded (email).")
            let listBad = try await c.get("/v1/customers?expand[]=test_clock")
            #expect(
                listBad["error.message"]?.stringValue?.contains(
                    "You may want to try expanding 'data.test_clock' instead."
                ) == true
            )
            let deep = try await c.get("/v1/customers/\(cus.id)?expand[]=a.b.c.d.e")
            #expect(deep["error.code"] == "property_expansion_max_depth")
        }
    }

    @Test func testClockCustomersAreHiddenFromPlainLists() async throws {
        try await TestApp().run { c in
            let clock = try await c.post("/v1/test_helpers/test_clocks", "frozen_time=1700000000").id
            _ = try await c.post("/v1/customers", "test_clock=\(clock)")
            let plain = try await c.post("/v1/customers", "name=plain").id
            #expect(try await c.get("/v1/customers")["data"]?.arrayValue?.map { $0["id"]?.stringValue } == [plain])
            #expect(try await c.get("/v1/customers?test_clock=\(clock)")["data"]?.arrayValue?.count == 1)
            _ = try await c.post("/v1/customers", "test_clock=\(clock)")
            _ = try await c.post("/v1/customers", "test_clock=\(clock)")
            let fourth = try await c.post("/v1/customers", "test_clock=\(clock)")
            #expect(fourth.status == 400)
            #expect(fourth["error.param"] == "test_clock")
            let missing = try await c.post("/v1/customers", "test_clock=clock_nope")
            #expect(missing["error.code"] == "resource_missing")
            #expect(missing["error.param"] == "test_clock")
        }
    }
}

@Suite struct StoredBodyRoundTripTests {
    @Test func customerAndEventSurviveStorageExactly() throws {
        var c = Customer(id: "cus_1", created: 5, invoicePrefix: "ABCD1234")
        c.email = "a@b.co"
        c.name = "Zoë \"Q\""
        c.description = "line\nbreak"
        c.phone = "1"
        c.businessName = "B"
        c.individualName = "I"
        c.address = ["city": "Paris", "country": nil, "line1": nil, "line2": nil, "postal_code": nil, "state": nil]
        c.shipping = ["name": "S", "phone": nil, "address": ["city": "X"]]
        c.balance = -3
        c.currency = "usd"
        c.nextInvoiceSequence = 7
        c.metadata = ["k": "v", "a": "1", "Z": "0"]
        c.preferredLocales = ["fr", "en"]
        c.taxExempt = "exempt"
        c.tax = ["ip_address": "1.2.3.4"]
        c.testClock = "clock_1"
        c.customerAccount = "acct_1"
        c.defaultPaymentMethod = "pm_1"
        var deleted = c
        deleted.deleted = true
        let bare = Customer(id: "cus_2", created: 1, invoicePrefix: "X")
        for customer in [c, deleted, bare] {
            #expect(try Customer(jsonBody: customer.jsonBody) == customer)
            // The API body and the state are written from ordered member lists, not from their dictionaries:
            // the same bytes as serialising `render()` and `jsonBody`.
            #expect(customer.apiBodyText() == customer.render().serialized())
            #expect(customer.jsonBodyText == customer.jsonBody.serialized(pretty: false))
            #expect(try Customer(jsonBody: #require(JSONValue.parse(customer.jsonBodyText))) == customer)
        }
        let e = Event(
            id: "evt_1",
            created: 2,
            type: "customer.updated",
            object: ["id": "cus_1"],
            previousAttributes: ["name": nil],
            requestID: "req_1",
            idempotencyKey: "k",
            apiVersion: "2026-06-24.dahlia",
            pendingWebhooks: 2,
            testClock: "clock_1"
        )
        #expect(try Event(jsonBody: e.jsonBody) == e)
        #expect(throws: StripeError.self) { try Customer(jsonBody: ["id": "cus_x"]) }
    }
}
