import Foundation
import HTTPTypes
import Logging
import NIOHTTP1
import Testing
import Yams

@testable import StripeSim

/// An app that records into memory, driven through an in-process transport.
func withRecordingApp(
    ids: IDGenerator = .seeded(1),
    _ body: @escaping @Sendable (any StripeTransport) async throws -> Void
) async throws -> [RecordedExchange] {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    var deps = AppDependencies(clock: ManualClock(), ids: ids, database: try AppDatabase(path: nil), logger: logger)
    let recorder = Recorder.inMemory()
    deps.recorder = recorder
    var config = SimulatorConfiguration()
    config.port = 0
    let app = try await buildApplication(config, deps)
    try await InProcessServer.run(app, logger: logger) { t in try await body(t) }
    return recorder.exchanges
}

/// A session touching most of the surface: creates, updates, lists, errors, idempotency, v2, a dropped
/// connection and its retry, a second account.
func recordSession() async throws -> [RecordedExchange] {
    try await withRecordingApp { t in
        let c = try await t.call(
            "POST",
            "/v1/customers",
            "email=jenny%40example.com&metadata[order]=1",
            headers: [("Idempotency-Key", "k1")]
        )
        let id = c.json?["id"]?.stringValue ?? ""
        _ = try await t.call(
            "POST",
            "/v1/customers",
            "email=jenny%40example.com&metadata[order]=1",
            headers: [("Idempotency-Key", "k1")]
        )
        _ = try await t.call("POST", "/v1/customers/\(id)", "name=Jenny")
        _ = try await t.call("GET", "/v1/customers/\(id)?expand[]=test_clock")
        _ = try await t.call("GET", "/v1/customers?limit=2")
        _ = try await t.call("GET", "/v1/customers/cus_nope")
        _ = try await t.call("POST", "/v1/customers", "bogus=1")
        _ = try await t.call("GET", "/v1/events?type=customer.*")
        let clock = try await t.call("POST", "/v1/test_helpers/test_clocks", "frozen_time=1767225600")
        _ = try await t.call("POST", "/v1/customers", "test_clock=\(clock.json?["id"]?.stringValue ?? "")")
        _ = try await t.call(
            "POST",
            "/v2/core/accounts",
            #"{"display_name": "V2", "configuration": {"customer": {}}, "include": ["configuration.customer"]}"#
        )
        _ = try await t.call(
            "POST",
            "/v1/test_helpers/fault_rules",
            "match[path]=/v1/customers&match[method]=POST&trigger[nth]=1&effect[drop]=after"
        )
        _ = try? await t.call("POST", "/v1/customers", "name=Dropped", headers: [("Idempotency-Key", "k2")])
        _ = try await t.call("POST", "/v1/customers", "name=Dropped", headers: [("Idempotency-Key", "k2")])
        _ = try await t.call("GET", "/v1/customers", key: "sk_test_other")
        _ = try await t.call("DELETE", "/v1/customers/\(id)")
        _ = try await t.send(TransportRequest(method: "GET", path: "/v1/customers"))
    }
}

@Suite struct SecretMaskingTests {
    @Test(arguments: [
        ("Bearer sk_test_abcdef123456", "Bearer sk_test_rec"),
        ("key=pk_test_abcdef123456&x=1", "key=pk_test_rec"),
        (#"{"client_secret": "pi_3Abc_secret_XyZ123"}"#, #"{"client_secret": "pi_3Abc_secret_masked"#),
        (#""fcsess_client_secret_Q1w2E3""#, #""fcsess_client_secret_masked"#),
        (#"{"secret": "whsec_9f8e7d6c5b4a"}"#, #"{"secret": "whsec_masked"#),
    ])
    func secretsAreMasked(_ text: String, _ prefix: String) {
        let masked = SecretMasker.mask(text)
        #expect(masked.hasPrefix(prefix), "\(masked)")
        for secret in ["abcdef123456", "XyZ123", "Q1w2E3", "9f8e7d6c5b4a"] { #expect(!masked.contains(secret)) }
    }

    @Test func aliasesAreStableAndKeepAccountsTogether() {
        #expect(SecretMasker.mask("sk_test_abc123") == SecretMasker.mask("sk_test_abc123"))
        #expect(SecretMasker.mask("sk_test_abc123") != SecretMasker.mask("sk_test_abc124"))
        #expect(SecretMasker.mask("sk_test_abc123").dropFirst(3) == SecretMasker.mask("pk_test_abc123").dropFirst(3))
        // Masking twice changes nothing; ordinary words stay.
        let once = SecretMasker.mask("pi_1_secret_Abc9 sk_test_zz9")
        #expect(SecretMasker.mask(once) == once)
        #expect(
            SecretMasker.mask("invalid_request_error client_secret test_helpers")
                == "invalid_request_error client_secret test_helpers"
        )
    }
}

@Suite struct RecordingTests {
    @Test func everyExchangeIsRecordedWithSecretsMasked() async throws {
        let recording = try await recordSession()
        #expect(recording.count == 17)
        #expect(recording.map(\.seq) == Array(1...17))
        let first = recording[0]
        #expect(first.method == "POST" && first.path == "/v1/customers" && first.query == "")
        #expect(first.body == "email=jenny%40example.com&metadata[order]=1")
        #expect(first.headers["idempotency-key"] == "k1")
        #expect(first.headers["authorization"] == nil && first.headers["content-length"] == nil)
        #expect(first.auth.scheme == "bearer")
        #expect(first.auth.key?.hasPrefix("sk_test_rec") == true)
        #expect(first.status == 200)
        #expect(first.response?["email"] == "jenny@example.com")
        #expect(first.responseHeaders["request-id"]?.hasPrefix("req_") == true)
        #expect(recording[1].responseHeaders["idempotent-replayed"] == "true")
        #expect(recording[3].query == "expand[]=test_clock")
        #expect(recording[5].status == 404)
        let dropped = try #require(recording.first { $0.dropped != nil })
        #expect(dropped.dropped == "after" && dropped.status == nil && dropped.response == nil)
        #expect(recording[14].auth.key != first.auth.key)
        #expect(recording[16].auth == .none)
        #expect(recording[16].status == 401)
        // Nothing of a key reaches the file.
        let lines = recording.map { $0.json.serialized(pretty: false) }.joined(separator: "\n")
        #expect(!lines.contains("sk_test_alice") && !lines.contains("sk_test_other"))
        // A line round-trips.
        #expect(try RecordedExchange.parse(lines) == recording)
    }

    @Test func invalidKeysAreKeptMaskedAsStripeMasksThem() {
        #expect(
            RecordedAuth(authorization: "Bearer sk_live_0123456789abcdef")
                == RecordedAuth(scheme: "invalid", header: "Bearer sk_live_************cdef")
        )
        #expect(RecordedAuth(authorization: nil) == .none)
        let basic = RecordedAuth(authorization: "Basic " + Data("sk_test_abc:".utf8).base64EncodedString())
        #expect(basic.scheme == "basic" && basic.key == SecretMasker.mask("sk_test_abc"))
        #expect(basic.authorization(key: "sk_test_x") == "Basic " + Data("sk_test_x:".utf8).base64EncodedString())
    }

    @Test func aFileRecorderAppendsJSONLinesAcrossSessions() throws {
        let path = try temporaryDirectory().appendingPathComponent("rec/session.jsonl").path
        for n in 0..<2 {
            let recorder = try Recorder(path: path)
            recorder.record(
                method: "GET",
                path: "/v1/customers",
                query: "limit=\(n)",
                authorization: "Bearer sk_test_abc",
                headers: [("Accept", "*/*")],
                body: "",
                status: 200,
                responseHeaders: [("Request-Id", "req_1")],
                responseBody: #"{"object": "list"}"#,
                dropped: nil
            )
        }
        let recording = try RecordedExchange.load(path)
        #expect(recording.map(\.seq) == [1, 2])
        #expect(recording.map(\.query) == ["limit=0", "limit=1"])
        #expect(recording[0].headers == ["accept": "*/*"])
        #expect(recording[0].auth.key == recording[1].auth.key)
        #expect(throws: ScenarioError.self) { try RecordedExchange.parse("{\"seq\": 1}\nnot json\n") }
    }
}

@Suite struct ReplayTests {
    @Test func aRecordingReplaysIdentically() async throws {
        let recording = try await recordSession()
        let report = try await Replayer.replay(recording, options: Replayer.Options())
        #expect(report.exchanges == 17)
        #expect(report.identical, "\(Replayer.text(report))")
        #expect(Replayer.text(report).hasSuffix("replay: 17 exchanges, identical (ids and times normalised)\n"))
        #expect(report.responses.filter { $0.status == nil }.count == 1)
    }

    @Test func replaysAreByteIdenticalUnderASeed() async throws {
        let recording = try await recordSession()
        var options = Replayer.Options()
        options.seed = 11
        let a = try await Replayer.replay(recording, options: options)
        let b = try await Replayer.replay(recording, options: options)
        #expect(a.responses.map(\.body) == b.responses.map(\.body))
        #expect(a.responses.map(\.status) == b.responses.map(\.status))
    }

    @Test func theReplayClockFollowsTheRecordingsElapsedTime() async throws {
        func create(_ seq: Int, _ elapsed: Int) -> RecordedExchange {
            RecordedExchange(
                seq: seq,
                method: "POST",
                path: "/v1/customers",
                query: "",
                auth: RecordedAuth(scheme: "bearer", key: "sk_test_rec1"),
                headers: ["content-type": "application/x-www-form-urlencoded"],
                body: "name=x",
                status: 200,
                responseHeaders: [:],
                response: nil,
                dropped: nil,
                elapsedMillis: elapsed
            )
        }
        // A second session appended to the file starts again from 0: time keeps moving forward.
        let recording = [create(1, 0), create(2, 5_000), create(3, 1_000)]
        let report = try await Replayer.replay(recording, options: Replayer.Options())
        let created = report.responses.compactMap { JSONValue.parse($0.body)?["created"]?.intValue }
        #expect(created == [1_767_225_600, 1_767_225_605, 1_767_225_606])
        let yaml = try ScenarioWriter.yaml(from: recording, name: "gaps")
        #expect(yaml.components(separatedBy: "- sleep: \"5s\"").count == 2)
    }

    @Test func aDifferenceIsReportedWithItsPath() async throws {
        var recording = try await recordSession()
        recording[2].response?["name"] = "Someone else"
        recording[5].status = 400
        let report = try await Replayer.replay(recording, options: Replayer.Options())
        #expect(!report.identical)
        #expect(report.differences.map(\.seq) == [3, 6])
        #expect(report.differences[0].lines == [#"$.name: recorded "Someone else", replay "Jenny""#])
        #expect(report.differences[1].lines == ["status: recorded 400, replay 404"])
        let text = Replayer.text(report)
        #expect(text.contains("✗ #3 POST /v1/customers/cus_"))
        #expect(text.hasSuffix("replay: 17 exchanges, 2 differ\n"))
    }

    @Test func idsAreMatchedByFirstAppearance() {
        #expect(
            IDMap.tokens(
                in:
                    #"{"id": "cus_Ab12", "x": "invalid_request_error", "c": "cus_Ab12", "p": "PAVCXIBT", "u": "/v1/customers/cus_Zz99/sources"}"#
            )
                == ["cus_Ab12", "PAVCXIBT", "cus_Zz99"]
        )
        var ids = IDMap()
        ids.learn(recorded: ["cus_A1aa", "req_B2bb", "CODE1234"], replay: ["cus_X9xx", "req_Y8yy", "ZZZZ9999"])
        #expect(ids.rewrite("/v1/customers/cus_A1aa?x=cus_A1aax") == "/v1/customers/cus_X9xx?x=cus_A1aax")
        #expect(ids.normalise(#"{"id":"cus_X9xx","p":"ZZZZ9999"}"#) == #"{"id":"cus_A1aa","p":"CODE1234"}"#)
        // Different kinds never pair.
        var other = IDMap()
        other.learn(recorded: ["cus_A1aa"], replay: ["pi_A1aa"])
        #expect(other.forward.isEmpty)
    }

    @Test func timestampsCompareAsPlaceholders() {
        let a: JSONValue = [
            "created": 1_767_225_600, "n": 1_767_225_600, "at": "2026-01-01T00:00:00.000Z", "expires_at": 5,
        ]
        #expect(Normalise.times(a) == ["created": "<time>", "n": 1_767_225_600, "at": "<time>", "expires_at": 5])
        #expect(
            JSONCompare.differences(["a": [1, 2], "b": 1], ["a": [1], "c": 1]) == [
                "$.a: recorded 2 elements, replay 1", "$.b: only in the recording (1)", "$.c: only in the replay (1)",
            ]
        )
    }

    @Test(.timeLimit(.minutes(1))) func serveRecordThenReplayFromTheCommandLine() async throws {
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("session.jsonl").path
        let server = try await LiveServer(arguments: ["--record", path])
        let created = try await server.request(.POST, "/v1/customers", body: "email=live%40example.com")
        _ = try await server.request(.POST, "/v1/customers/\(created.json["id"]?.stringValue ?? "")", body: "name=Live")
        _ = try await server.request(.GET, "/v1/customers")
        server.stop()
        let recording = try RecordedExchange.load(path)
        #expect(recording.filter { $0.path.hasPrefix("/v1/") }.count == 3)
        #expect(!(try String(contentsOfFile: path, encoding: .utf8)).contains("sk_test_live"))

        let replay = Process()
        replay.executableURL = try LiveServer.binary()
        replay.arguments = ["replay", path]
        let out = Pipe()
        replay.standardOutput = out
        try replay.run()
        replay.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(replay.terminationStatus == 0, "\(text)")
        #expect(text.contains("identical"))
    }
}

@Suite struct RecordToScenarioTests {
    @Test func aRecordingBecomesAPassingScenario() async throws {
        let recording = try await recordSession()
        let yaml = try ScenarioWriter.yaml(from: recording, name: "Recorded session", source: "session.jsonl")
        #expect(yaml.hasPrefix("# yaml-language-server: $schema=./scenario.schema.json\n# Generated by"))
        let scenario = try Scenario.parse(yaml, file: "recorded.yaml")
        #expect(scenario.steps.count == 17)
        #expect(scenario.key.hasPrefix("sk_test_rec"))
        #expect(scenario.tags == ["recorded"])
        // Ids are captured where they first appear and reused.
        #expect(scenario.steps[0].save == [Capture(name: "customer", path: "$.id")])
        #expect(yaml.contains("path: \"/v1/customers/{{customer}}\""))
        #expect(yaml.contains("test_clock: \"{{test_clock}}\""))
        #expect(yaml.contains("transport_error: true"))
        #expect(yaml.contains("Idempotent-Replayed: \"true\""))
        #expect(yaml.contains("$.error.code: resource_missing"))
        #expect(yaml.contains("key: \"\""))
        let result = await ScenarioRunner.run(scenario, options: ScenarioRunOptions())
        #expect(result.passed, "\(firstFailure(result) ?? "")\n\(yaml)")
    }

    @Test func stringsThatLookTypedAreQuoted() throws {
        for value in ["true", "42", "", "null", "1.5", "{{x}}", " padded"] {
            #expect(ScenarioWriter.scalar(.string(value)).scalar?.style == .doubleQuoted, "\(value)")
        }
        #expect(ScenarioWriter.scalar(.string("customer")).scalar?.style == .any)
        let doc = try YAMLDocument(try ScenarioWriter.yaml(from: [], name: "true"))
        #expect(doc.value["name"] == "true")
    }
}
