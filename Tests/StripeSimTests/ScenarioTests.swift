import Foundation
import Synchronization
import Testing

@testable import StripeSim

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parses and runs a scenario in process.
func runScenario(_ yaml: String, seed: UInt64 = 0, observer: ScenarioRunOptions? = nil) async throws -> ScenarioResult {
    let scenario = try Scenario.parse(yaml, file: "test.yaml")
    var options = observer ?? ScenarioRunOptions()
    options.seed = seed
    return await ScenarioRunner.run(scenario, options: options)
}

/// The first failing step's message (or `nil` when all passed).
func firstFailure(_ r: ScenarioResult) -> String? {
    r.error ?? r.steps.first { $0.outcome == .failed }?.failure
}

func parseError(_ yaml: String) -> ScenarioError? {
    do {
        _ = try Scenario.parse(yaml, file: "bad.yaml")
        return nil
    } catch {
        return error
    }
}

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

@Suite struct ScenarioParsingTests {
    static let full = """
        name: Full
        description: every part
        tags: [a, b]
        key: sk_test_full
        stripe_version: 2026-06-24.preview
        fixtures:
          - id: fcinst_custom
            name: Custom Bank
        faults:
          - match: {method: POST, path: /v1/customers/*/x, account: sk_test_other, parameter: {name: "a[b]", value: 1}}
            trigger: {probability: 0.25, seed: 9}
            effect: {error: {status: 402, decline_code: insufficient_funds}, latency_ms: 5}
        steps:
          - name: create
            request:
              method: POST
              path: /v1/customers
              params: {email: a@b.c, metadata: {n: 1}}
              headers: {X-Test: yes}
              key: sk_test_other
              idempotency_key: "k-{{run}}"
              retries: 2
            expect:
              status: 200
              attempts: 1
              headers: {Request-Id: {matches: "^req_"}}
              json:
                $.id: {matches: "^cus_", exists: true}
                $.email: a@b.c
              event_sequence: {object: "{{customer}}", types: [customer.created], exact: false}
            save: {customer: $.id}
          - request: GET /v1/customers/{{customer}}
          - complete_session: {session: fcsess_1, institution: fcinst_x, accounts: [a, b], outcome: failed}
          - advance_clock: {clock: clock_1, by: 5d, timeout: 3s}
          - advance_clock: {clock: clock_1, to: 1800000000}
          - wait_for: {event: customer.created, object_id: "{{customer}}", timeout: 500ms}
          - wait_for: {webhook_delivery: {query: {limit: 3}, where: {$.status: succeeded}}}
          - wait_for: {get: /v1/customers/x, until: {$.deleted: true}}
          - sleep: 1.5s
        """

    @Test func parsesEveryPart() throws {
        let s = try Scenario.parse(Self.full, file: "full.yaml")
        #expect(s.name == "Full")
        #expect(s.tags == ["a", "b"])
        #expect(s.key == "sk_test_full")
        #expect(s.stripeVersion == "2026-06-24.preview")
        #expect(s.fixtures == [["id": "fcinst_custom", "name": "Custom Bank"]])
        #expect(s.file == "full.yaml")
        let f = try #require(s.faults.first)
        #expect(f.match.method == "POST")
        #expect(f.match.path.description == "/v1/customers/*/x")
        #expect(f.match.parameter == FaultRule.Parameter(name: "a[b]", value: "1"))
        #expect(f.accountKey == "sk_test_other")
        #expect(f.trigger == .probability(0.25, seed: 9))
        #expect(f.effect.error?.type == "card_error")
        #expect(f.effect.error?.declineCode == "insufficient_funds")
        #expect(f.effect.latencyMillis == 5)
        #expect(s.steps.count == 9)
        guard case .request(let r) = s.steps[0].action else {
            Issue.record("not a request")
            return
        }
        #expect(r.method == "POST" && r.path == "/v1/customers")
        #expect(r.params == ["email": "a@b.c", "metadata": ["n": 1]])
        #expect(r.headers == ["X-Test": "yes"])
        #expect(r.key == "sk_test_other" && r.idempotencyKey == "k-{{run}}" && r.retries == 2)
        let e = s.steps[0].expect
        #expect(e.status == 200 && e.attempts == 1)
        #expect(e.json.map(\.path) == ["$.email", "$.id"])
        #expect(e.json[1].matcher.matches == "^cus_" && e.json[1].matcher.exists == true)
        #expect(e.eventSequence?.exact == false)
        #expect(s.steps[0].save == [Capture(name: "customer", path: "$.id")])
        #expect(s.steps[0].line == 14)
        guard case .request(let short) = s.steps[1].action else {
            Issue.record("not a request")
            return
        }
        #expect(short.method == "GET" && short.path == "/v1/customers/{{customer}}" && short.retries == 0)
        guard case .completeSession(let c) = s.steps[2].action else {
            Issue.record("not complete_session")
            return
        }
        #expect(c.accounts == ["a", "b"] && c.outcome == "failed")
        guard case .advanceClock(let a) = s.steps[3].action else {
            Issue.record("not advance_clock")
            return
        }
        #expect(a.byMillis == 5 * 86_400_000 && a.timeoutMillis == 3000)
        guard case .advanceClock(let b) = s.steps[4].action else {
            Issue.record("not advance_clock")
            return
        }
        #expect(b.to == 1_800_000_000 && b.timeoutMillis == 10_000)
        guard case .waitFor(let w) = s.steps[5].action, case .event(let type, let object) = w.condition else {
            Issue.record("not wait_for event")
            return
        }
        #expect(type == "customer.created" && object == "{{customer}}" && w.timeoutMillis == 500)
        guard case .waitFor(let d) = s.steps[6].action, case .webhookDelivery(let q, let whereList) = d.condition else {
            Issue.record("not wait_for webhook_delivery")
            return
        }
        #expect(q == ["limit": 3] && whereList.map(\.path) == ["$.status"])
        guard case .sleep(let ms) = s.steps[8].action else {
            Issue.record("not sleep")
            return
        }
        #expect(ms == 1500)
    }

    @Test func defaults() throws {
        let s = try Scenario.parse("name: x\nsteps:\n  - request: GET /v1/customers\n")
        #expect(s.key == "sk_test_scenario")
        #expect(s.tags == [] && s.faults.isEmpty && s.stripeVersion == nil && s.fixtures == nil)
        #expect(s.steps[0].expect.isEmpty && s.steps[0].save.isEmpty)
    }

    /// YAML 1.2 core scalars: what is typed, what stays a string.
    @Test(arguments: [
        ("NO", JSONValue.string("NO")), ("yes", "yes"), ("on", "on"), ("0123", "0123"), ("1:30", "1:30"),
        ("42", 42), ("-7", -7), ("1.5", .double(1.5)), ("1e3", .double(1000)), ("true", true), ("False", false),
        ("~", nil), ("null", nil), ("'42'", "42"), ("\"true\"", "true"), ("!!str 12", "12"),
        ("2024-06-20", "2024-06-20"), (".inf", ".inf"),
    ])
    func scalarsFollowTheCoreSchema(_ text: String, _ expected: JSONValue) throws {
        #expect(try YAMLDocument("v: \(text)").value["v"] == expected)
    }

    /// Bad scenarios: a clear message naming the key path and the line.
    @Test(arguments: [
        (
            "name: x\nsteps:\n  - request: GET /v1/customers\n    expcet: {status: 200}\n",
            "steps[0].expcet: unknown key 'expcet' (did you mean 'expect'?)", 4
        ),
        ("steps:\n  - request: GET /v1/customers\n", "missing required key 'name'", 1),
        ("name: x\n", "missing required key 'steps'", 1),
        ("name: x\nsteps: []\n", "a scenario needs at least one step", 2),
        ("name: x\nsteps:\n  - expect: {status: 200}\n", "a step needs one action", 3),
        ("name: x\nsteps:\n  - request: GET /a\n    sleep: 1s\n", "a step has one action; found request and sleep", 3),
        (
            "name: x\nsteps:\n  - request: GET /a\n    expect:\n      status: two\n",
            "steps[0].expect.status: expected an integer, found the string \"two\"", 5
        ),
        ("name: x\nsteps:\n  - request: FETCH /a\n", "expected `METHOD /path`", 3),
        (
            "name: x\nsteps:\n  - request: {method: PUT, path: /a}\n",
            "steps[0].request.method: expected one of GET, POST, DELETE", 3
        ),
        ("name: x\nsteps:\n  - request: {method: GET, path: a}\n", "a path starts with `/`", 3),
        (
            "name: x\nsteps:\n  - request: {method: POST, path: /a, params: [1]}\n",
            "expected a mapping of parameter names", 3
        ),
        ("name: x\nsteps:\n  - request: {method: POST, path: /a, params: {a: 1}, body: x}\n", "not both", 3),
        ("name: x\nsteps:\n  - sleep: forever\n", "expected a duration", 3),
        ("name: x\nsteps:\n  - sleep: 2m\n", "at most 60s", 3),
        ("name: x\nsteps:\n  - sleep: 1s\n    save: {a: $.id}\n", "a sleep step has no response", 3),
        (
            "name: x\nsteps:\n  - request: GET /a\n    expect:\n      json:\n        $.id: {matches: \"(\"}\n",
            "is not a valid regular expression", 6
        ),
        (
            "name: x\nsteps:\n  - request: GET /a\n    expect:\n      json:\n        data.id: 1\n",
            "invalid JSON path 'data.id': it must start with `$`", 6
        ),
        ("name: x\nsteps:\n  - request: GET /a\n    save: {c: \"$.data[x]\"}\n", "invalid JSON path '$.data[x]'", 4),
        ("name: x\nsteps:\n  - request: GET /a\n    save: {now: $.id}\n", "'now' is built in", 4),
        (
            "name: x\nsteps:\n  - request: GET /a\n    expect: {transport_error: true, status: 200}\n",
            "a dropped connection has no status", 4
        ),
        ("name: x\nsteps:\n  - advance_clock: {clock: c, to: 1, by: 1d}\n", "not both", 3),
        ("name: x\nsteps:\n  - wait_for: {event: a, get: /b}\n", "wait_for takes one of", 3),
        ("name: x\nsteps:\n  - wait_for: {get: /b}\n", "`get` needs `until`", 3),
        (
            "name: x\nsteps:\n  - complete_session: {session: s, outcome: maybe}\n",
            "expected success, cancelled or failed", 3
        ),
        ("name: x\nstripe_version: banana\nsteps:\n  - request: GET /a\n", "not a Stripe API version", 2),
        (
            "name: x\nfaults:\n  - match: {path: /a}\n    trigger: {nth: 1, every: 2}\n    effect: {drop: after}\nsteps:\n  - request: GET /a\n",
            "faults[0]: A fault rule takes one trigger", 3
        ),
        (
            "name: x\nfaults:\n  - match: {path: a}\n    effect: {drop: after}\nsteps:\n  - request: GET /a\n",
            "must start with '/'", 3
        ),
        (
            "name: x\nfaults:\n  - match: {path: /a}\nsteps:\n  - request: GET /a\n", "Missing required param: effect.",
            3
        ),
        ("name: x\nname: y\nsteps:\n  - request: GET /a\n", "duplicate key 'name'", 2),
        ("name: x\nsteps:\n  - request: {method: GET, path: /a\n", "YAML syntax error", 4),
        ("- just\n- a list\n", "a scenario is a mapping", 1),
    ])
    func badScenariosSayWhatAndWhere(_ yaml: String, _ message: String, _ line: Int) throws {
        let error = try #require(parseError(yaml))
        #expect(error.description.contains(message), "\(error)")
        #expect(error.line == line, "\(error)")
        #expect(error.description.hasPrefix("bad.yaml:\(line): "), "\(error)")
    }

    @Test func filesInDirectoriesAreFoundSorted() throws {
        let dir = try temporaryDirectory()
        for name in ["b.yaml", "a.yml", "notes.txt", "sub/c.yaml"] {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try "name: x\nsteps:\n  - sleep: 1s\n".write(to: url, atomically: true, encoding: .utf8)
        }
        let files = try Scenario.files(in: [dir.path])
        #expect(files.map { URL(fileURLWithPath: $0).lastPathComponent } == ["a.yml", "b.yaml", "c.yaml"])
        #expect(throws: ScenarioError.self) { try Scenario.files(in: [dir.path + "/missing"]) }
    }

    @Test func theLibraryMatchesItsSchemaShape() throws {
        // Every library scenario parses; the schema file is valid JSON.
        let files = try Scenario.files(in: [repositoryRoot.appendingPathComponent("Scenarios").path])
        #expect(files.count >= 6)
        for file in files { _ = try Scenario.load(file) }
        let schema = try String(
            contentsOf: repositoryRoot.appendingPathComponent("Scenarios/scenario.schema.json"),
            encoding: .utf8
        )
        #expect(JSONValue.parse(schema)?["title"] == "stripe-sim scenario")
    }
}

@Suite struct TemplateAndPathTests {
    @Test func templatesSpliceTextAndKeepTypes() throws {
        let vars: [String: JSONValue] = ["id": "cus_1", "n": 42, "flag": true]
        #expect(try Template.render("/v1/customers/{{id}}?x={{ n }}", vars) == "/v1/customers/cus_1?x=42")
        #expect(
            try Template.render(["a": "{{n}}", "b": "n={{n}}", "{{id}}": ["{{flag}}"]], vars) == [
                "a": 42, "b": "n=42", "cus_1": [true],
            ]
        )
        let error = #expect(throws: ScenarioError.self) { try Template.render("{{missing}}", vars) }
        #expect(error?.message.contains("unknown capture {{missing}}; available: {{flag}}, {{id}}, {{n}}") == true)
        #expect(throws: ScenarioError.self) { try Template.render("{{open", vars) }
    }

    @Test func jsonPaths() throws {
        let json: JSONValue = ["data": [["id": "a"], ["id": "b", "x.y": 1]], "n": nil]
        #expect(try JSONPath("$").evaluate(json) == json)
        #expect(try JSONPath("$.data[0].id").evaluate(json) == "a")
        #expect(try JSONPath("$.data[-1].id").evaluate(json) == "b")
        #expect(try JSONPath("$.data[1]['x.y']").evaluate(json) == 1)
        #expect(try JSONPath("$.n").evaluate(json) == .null)
        #expect(try JSONPath("$.data[2]").evaluate(json) == nil)
        #expect(try JSONPath("$.nope.deeper").evaluate(json) == nil)
        #expect(try JSONPath("$.data.1.id").evaluate(json) == "b")
        for bad in ["data", "$.", "$[x]", "$['open", "$x"] {
            #expect(throws: ScenarioError.self, "\(bad)") { try JSONPath(bad) }
        }
    }

    @Test func formEncodingUsesBracketNotation() {
        let body = FormEncoding.encode([
            "email": "a+b@example.com", "metadata": ["k": "v w"], "expand": ["x", "y"],
            "items": [["price": "p_1"]], "unset": "", "clear": [:], "n": 5, "flag": false,
        ])
        #expect(
            body
                == "clear=&email=a%2Bb%40example.com&expand[0]=x&expand[1]=y&flag=false&items[0][price]=p_1&metadata[k]=v%20w&n=5&unset="
        )
        // What the API decodes back.
        let decoded = try? FormDecoding.decode(body)
        #expect(
            decoded?["metadata"]
                == .hash(
                    {
                        var h = RawHash()
                        h["k"] = .string("v w")
                        return h
                    }()
                )
        )
    }
}

@Suite struct ScenarioRunTests {
    @Test func capturesFlowIntoPathsParamsHeadersAndExpectations() async throws {
        let sent = Mutex<[TransportRequest]>([])
        var options = ScenarioRunOptions()
        options.observer = { _, request, _ in sent.withLock { $0.append(request) } }
        let r = try await runScenario(
            """
            name: captures
            steps:
              - request: {method: POST, path: /v1/customers, params: {email: a@example.com, balance: 7}}
                save: {customer: $.id, email: $.email, balance: $.balance}
              - request:
                  method: POST
                  path: /v1/customers/{{customer}}
                  params: {description: "for {{email}}", metadata: {copy: "{{customer}}"}}
                  headers: {Idempotency-Key: "k-{{customer}}"}
                expect:
                  headers: {Idempotency-Key: "k-{{customer}}"}
                  json:
                    $.id: "{{customer}}"
                    $.description: for a@example.com
                    $.metadata.copy: "{{customer}}"
                    $.balance: "{{balance}}"
              - request:
                  method: POST
                  path: /v2/core/accounts
                  params: {display_name: "{{email}}", metadata: {n: "{{balance}}", s: "n={{balance}}"}}
                expect:
                  json: {$.display_name: a@example.com, $.metadata.n: "7"}
            """,
            observer: options
        )
        #expect(r.passed, "\(firstFailure(r) ?? "")")
        let requests = sent.withLock { $0 }
        let customer = try #require(r.steps.first).summary
        #expect(customer.isEmpty)  // unnamed steps show their summary as their name
        #expect(requests[1].path.hasPrefix("/v1/customers/cus_"))
        #expect(requests[1].body?.contains("metadata[copy]=cus_") == true)
        #expect(requests[1].headers.contains { $0.name == "Idempotency-Key" && $0.value.hasPrefix("k-cus_") })
        // A whole-string capture keeps its type in a v2 JSON body; spliced into text it is text.
        #expect(requests[2].body?.contains(#""n":7"#) == true)
        #expect(requests[2].body?.contains(#""s":"n=7""#) == true)
        #expect(requests[2].headers.contains { $0.name == "Content-Type" && $0.value == "application/json" })

        let unknown = try await runScenario(
            """
            name: unknown capture
            steps:
              - request: GET /v1/customers/{{nobody}}
            """
        )
        #expect(firstFailure(unknown)?.contains("unknown capture {{nobody}}; available: {{now}}, {{run}}") == true)
        let missing = try await runScenario(
            """
            name: missing path
            steps:
              - request: GET /v1/customers
                save:
                  first: $.data[0].id
            """
        )
        #expect(firstFailure(missing) == "save first: $.data[0].id is not in the response")
    }

    @Test func eachExpectationKindPassesAndFails() async throws {
        let passing = try await runScenario(
            """
            name: passing
            steps:
              - request: {method: POST, path: /v1/customers, params: {email: a@example.com, metadata: {a: "1", b: "2"}}}
                expect:
                  status: 200
                  attempts: 1
                  headers: {Request-Id: {matches: "^req_"}, Stripe-Version: {exists: true}, Idempotent-Replayed: {absent: true}}
                  json:
                    $.email: a@example.com
                    $.id: {matches: "^cus_"}
                    $.metadata: {count: 2}
                    $.metadata.a: {equals: 1}
                    $.name: {absent: true}
                    $.invoice_settings: {exists: true}
                    $.preferred_locales: {count: 0}
                    $.livemode: false
                save: {c: $.id}
              - request: {method: POST, path: "/v1/customers/{{c}}", params: {name: B}}
                expect:
                  event_sequence: {object: "{{c}}", types: [customer.created, customer.updated]}
              - request: GET /v1/events
                expect:
                  event_sequence: {object: "{{c}}", types: [customer.updated], exact: false}
            """
        )
        #expect(passing.passed, "\(firstFailure(passing) ?? "")")

        let cases: [(String, String)] = [
            ("status: 201", "status: expected 201, got 200"),
            ("attempts: 2", "attempts: expected 2, took 1"),
            ("headers: {Request-Id: {matches: \"^evt_\"}}", "header Request-Id: expected to match /^evt_/"),
            ("headers: {X-Nope: {exists: true}}", "header X-Nope: expected a value, but it is missing"),
            ("json: {$.email: b@example.com}", "$.email: expected \"b@example.com\", got \"a@example.com\""),
            ("json: {$.email: {matches: \"^z\"}}", "$.email: expected to match /^z/, got \"a@example.com\""),
            ("json: {$.name: {exists: true}}", "$.name: expected a value, but it is null"),
            ("json: {$.email: {absent: true}}", "$.email: expected it to be absent, got \"a@example.com\""),
            ("json: {$.metadata: {count: 3}}", "$.metadata: expected 3 elements, got 0"),
            ("json: {$.nope: 1}", "$.nope: expected 1, but it is missing"),
            ("transport_error: true", "transport_error: expected a dropped connection, got HTTP 200"),
            (
                "event_sequence: {object: \"{{c}}\", types: [customer.deleted]}",
                "event_sequence for cus_"
            ),
        ]
        for (expectation, message) in cases {
            let r = try await runScenario(
                """
                name: failing
                steps:
                  - request: {method: POST, path: /v1/customers, params: {email: a@example.com}}
                    save: {c: $.id}
                  - request: GET /v1/customers/{{c}}
                    expect:
                      \(expectation)
                """
            )
            #expect(r.steps[1].outcome == .failed, "\(expectation)")
            #expect(r.steps[1].failure?.contains(message) == true, "\(expectation): \(r.steps[1].failure ?? "passed")")
            #expect(r.steps[1].excerpt?.hasPrefix("HTTP 200") == true)
        }
    }

    @Test func aFailedStepSkipsTheRestAndTheReportShowsTheResponse() async throws {
        let r = try await runScenario(
            """
            name: report
            steps:
              - name: create
                request: {method: POST, path: /v1/customers, params: {nope: 1}}
                expect: {status: 200, json: {$.id: {exists: true}}}
              - request: GET /v1/customers
            """
        )
        #expect(!r.passed)
        #expect(r.steps.map(\.outcome) == [.failed, .skipped])
        #expect(
            r.steps[0].failure
                == "status: expected 200, got 400 (invalid_request_error/parameter_unknown: Received unknown parameter: nope)  (+1 more)"
        )
        let text = ScenarioReport.text([r], seconds: 0.01)
        #expect(text.contains("✗ report"))
        #expect(text.contains("  ✗ 1. create  POST /v1/customers → 400"))
        #expect(text.contains("(test.yaml:3)"))
        #expect(text.contains("\"code\": \"parameter_unknown\""))
        #expect(text.contains("· 2. GET /v1/customers  (skipped)"))
        #expect(text.contains("1 of 1 scenario failed"))
    }

    @Test func waitsPollAndTimeOut() async throws {
        let r = try await runScenario(
            """
            name: waits
            steps:
              - request: {method: POST, path: /v1/customers, params: {name: W}}
                save: {c: $.id}
              - wait_for: {event: "customer.*", object_id: "{{c}}"}
                expect: {json: {$.type: customer.created, $.data.object.name: W}}
                save: {evt: $.id}
              - wait_for: {get: "/v1/events/{{evt}}", until: {$.type: customer.created}}
              - wait_for: {event: customer.deleted, object_id: "{{c}}", timeout: 50ms}
            """
        )
        #expect(r.steps.map(\.outcome) == [.passed, .passed, .passed, .failed])
        #expect(
            r.steps[3].failure?.hasPrefix("timed out after 0.05s (0 customer.deleted events so far, none about cus_")
                == true
        )
        let until = try await runScenario(
            """
            name: until
            steps:
              - wait_for: {get: /v1/customers, until: {$.data: {count: 1}}, timeout: 30ms}
            """
        )
        #expect(
            firstFailure(until) == "timed out after 0.03s (last answer: HTTP 200, $.data: expected 1 element, got 0)"
        )
        let deliveries = try await runScenario(
            """
            name: deliveries
            steps:
              - wait_for: {webhook_delivery: {where: {$.status: succeeded}}, timeout: 30ms}
                expect: {status: 200}
            """
        )
        // No endpoint, so no delivery ever appears: the step times out instead of hanging.
        #expect(deliveries.steps[0].outcome == .failed)
        #expect(
            firstFailure(deliveries)?.hasPrefix("timed out after 0.03s") == true,
            "\(firstFailure(deliveries) ?? "")"
        )
    }

    @Test func advanceClockWaitsUntilReady() async throws {
        let r = try await runScenario(
            """
            name: clock
            steps:
              - request: {method: POST, path: /v1/test_helpers/test_clocks, params: {frozen_time: 1000}}
                save: {clock: $.id}
              - advance_clock: {clock: "{{clock}}", by: 1h}
                expect: {status: 200, json: {$.status: ready, $.frozen_time: 4600}}
              - advance_clock: {clock: "{{clock}}", to: 5000}
                expect: {json: {$.frozen_time: 5000}}
              - advance_clock: {clock: "{{clock}}", to: 10}
                expect: {status: 400, json: {$.error.param: frozen_time}}
              - advance_clock: {clock: clock_missing, by: 1s}
                expect: {status: 404}
            """
        )
        #expect(r.passed, "\(firstFailure(r) ?? "")")
    }

    @Test func sleepMovesTheScenarioClockWithoutWaiting() async throws {
        let started = ContinuousClock.now
        let r = try await runScenario(
            """
            name: sleep
            steps:
              - request: {method: POST, path: /v1/customers, params: {name: before}}
                expect: {json: {$.created: "{{now}}"}}
                save: {t0: $.created}
              - sleep: 60s
              - request: {method: POST, path: /v1/customers, params: {name: after}}
                expect: {json: {$.created: "{{now}}"}}
                save: {t1: $.created}
              - request: GET /v1/customers
                expect: {json: {$.data.0.created: "{{t1}}", $.data.1.created: "{{t0}}"}}
            """
        )
        #expect(r.passed, "\(firstFailure(r) ?? "")")
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func retriesReuseTheIdempotencyKeyAndCountAttempts() async throws {
        let r = try await runScenario(
            """
            name: retries
            faults:
              - match: {method: POST, path: /v1/customers}
                trigger: {times: 2}
                effect: {error: {status: 500}}
              - match: {method: GET, path: /v1/customers}
                effect: {error: {status: 400}}
            steps:
              - request: {method: POST, path: /v1/customers, params: {name: R}, retries: 3}
                expect: {status: 200, attempts: 3}
              - name: a 400 is not retried
                request: {method: GET, path: /v1/customers, retries: 3}
                expect: {status: 400, attempts: 1}
            """
        )
        #expect(r.passed, "\(firstFailure(r) ?? "")")
    }

    @Test func runsAreByteIdenticalUnderTheSameSeed() async throws {
        let yaml = try String(
            contentsOf: repositoryRoot.appendingPathComponent("Scenarios/customer-lifecycle.yaml"),
            encoding: .utf8
        )
        func bodies(seed: UInt64) async throws -> [String] {
            let log = Mutex<[String]>([])
            var options = ScenarioRunOptions()
            options.observer = { _, request, response in
                log.withLock {
                    $0.append(
                        "\(request.method) \(request.path)\n\(response?.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n") ?? "")\n\(response?.body ?? "dropped")"
                    )
                }
            }
            let r = try await runScenario(yaml, seed: seed, observer: options)
            #expect(r.passed)
            return log.withLock { $0 }
        }
        let a = try await bodies(seed: 7)
        let b = try await bodies(seed: 7)
        let c = try await bodies(seed: 8)
        #expect(a.count > 20)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func theScenarioLibraryPasses() async throws {
        let results = try await ScenarioRunner.run(
            paths: [repositoryRoot.appendingPathComponent("Scenarios").path],
            tags: [],
            options: ScenarioRunOptions()
        )
        #expect(results.count >= 7)
        for r in results { #expect(r.passed, "\(r.file): \(firstFailure(r) ?? "")") }
        let smoke = try await ScenarioRunner.run(
            paths: [repositoryRoot.appendingPathComponent("Scenarios").path],
            tags: ["smoke"],
            options: ScenarioRunOptions()
        )
        #expect(smoke.count >= 3 && smoke.count < results.count)
        await #expect(throws: ScenarioError.self) {
            _ = try await ScenarioRunner.run(
                paths: [repositoryRoot.appendingPathComponent("Scenarios").path],
                tags: ["no-such-tag"],
                options: ScenarioRunOptions()
            )
        }
    }

    @Test func theDocumentedFullExamplePasses() async throws {
        let doc = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(doc.range(of: "### A full example"))
        let open = try #require(doc.range(of: "```yaml\n", range: section.upperBound..<doc.endIndex))
        let close = try #require(doc.range(of: "```", range: open.upperBound..<doc.endIndex))
        let r = try await runScenario(String(doc[open.upperBound..<close.lowerBound]))
        #expect(r.passed, "\(firstFailure(r) ?? "")")
        #expect(r.steps.count == 6)
    }

    @Test func unreadableFilesAreFailedResultsNotSkipped() async throws {
        let dir = try temporaryDirectory()
        try "name: ok\nsteps:\n  - request: GET /v1/customers\n".write(
            to: dir.appendingPathComponent("a.yaml"),
            atomically: true,
            encoding: .utf8
        )
        try "name: broken\nsteps: [\n".write(
            to: dir.appendingPathComponent("b.yaml"),
            atomically: true,
            encoding: .utf8
        )
        let results = try await ScenarioRunner.run(paths: [dir.path], tags: [], options: ScenarioRunOptions())
        #expect(results.map(\.passed) == [true, false])
        #expect(results[1].error?.contains("b.yaml:") == true)
        #expect(results[1].name == "b")
    }
}

@Suite struct JUnitTests {
    @Test func junitIsWellFormedAndCountsEverything() async throws {
        let passing = try await runScenario("name: ok <&>\nsteps:\n  - request: GET /v1/customers\n")
        var failing = try await runScenario(
            """
            name: "fails \\"quoted\\" & 'apostrophe'"
            steps:
              - name: "bad <step>"
                request: {method: POST, path: /v1/customers, params: {x: "\\u0001"}}
                expect: {status: 200}
              - request: GET /v1/customers
            """
        )
        failing.file = "dir/fails.yaml"
        let broken = ScenarioResult(
            file: "b.yaml",
            name: "b",
            tags: [],
            steps: [],
            error: "b.yaml:2: YAML syntax error\u{0}",
            seconds: 0
        )
        let xml = JUnit.xml([passing, failing, broken])
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "))
        #expect(xml.contains(#"tests="4" failures="1" errors="1" skipped="1""#))
        #expect(xml.contains(#"<testsuite name="ok &lt;&amp;&gt;" tests="1" failures="0""#))
        #expect(xml.contains(#"classname="scenarios.fails""#))
        #expect(xml.contains(#"<failure message="status: expected 200, got 400"#))
        #expect(xml.contains("<skipped/>"))
        #expect(xml.contains(#"<testcase name="setup""#))
        #expect(!xml.contains("\u{0}") && !xml.contains("\u{1}"))

        final class Delegate: NSObject, XMLParserDelegate, @unchecked Sendable {  // used on one thread
            var elements: [String] = []
            func parser(
                _ parser: XMLParser,
                didStartElement name: String,
                namespaceURI: String?,
                qualifiedName: String?,
                attributes: [String: String] = [:]
            ) {
                elements.append(name)
            }
        }
        let parser = XMLParser(data: Data(xml.utf8))
        let delegate = Delegate()
        parser.delegate = delegate
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(delegate.elements.filter { $0 == "testsuite" }.count == 3)
        #expect(delegate.elements.filter { $0 == "testcase" }.count == 4)
    }
}
