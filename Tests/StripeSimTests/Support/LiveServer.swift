import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

@testable import StripeSim

/// The real `stripe-sim` binary on a real socket: for restarts, `kill -9` and the CLI. Found next to the test
/// bundle (`swift build --build-tests` builds it).
final class LiveServer: @unchecked Sendable {  // Process is only touched from the owning test.
    let port: Int
    let process: Process
    var baseURL: String { "http://127.0.0.1:\(port)" }

    static func binary() throws -> URL {
        var candidates: [URL] = []
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("stripe-sim"))
            dir = dir.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/stripe-sim"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw TestFailure("stripe-sim binary not found near \(CommandLine.arguments[0]); run swift build first")
        }
        return found
    }

    init(arguments: [String]) async throws {
        port = Int.random(in: 20_000...40_000)
        process = Process()
        process.executableURL = try Self.binary()
        process.arguments = ["serve", "--port", String(port), "--log-level", "warning"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 {
            if (try? await request(.GET, "/healthz"))?.status == 200 { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        process.terminate()
        throw TestFailure("stripe-sim did not start on port \(port)")
    }

    func request(
        _ method: HTTPMethod,
        _ path: String,
        body: String? = nil,
        key: String = "sk_test_live"
    )
        async throws -> (status: Int, json: JSONValue)
    {
        var req = HTTPClientRequest(url: baseURL + path)
        req.method = method
        req.headers.add(name: "Authorization", value: "Bearer \(key)")
        if let body {
            req.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            req.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(req, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        return (Int(response.status.code), JSONValue.parse(String(buffer: bytes)) ?? .null)
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A new folder under the system's temporary directory, removed when the test process exits (whether or not the
/// test that made it removed it, or passed).
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("stripe-sim-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    TemporaryDirectories.shared.add(url)
    return url
}

/// The folders `temporaryDirectory()` made, removed at exit.
final class TemporaryDirectories: Sendable {
    static let shared: TemporaryDirectories = {
        atexit { TemporaryDirectories.shared.removeAll() }
        return TemporaryDirectories()
    }()
    private let paths = Mutex<[URL]>([])

    func add(_ url: URL) { paths.withLock { $0.append(url) } }

    func removeAll() {
        for url in paths.withLock({ $0 }) { try? FileManager.default.removeItem(at: url) }
    }
}
