import Foundation
import NIOHTTP1
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Malformed HTTP on a real socket, below what any client library would send: broken request lines, bad framing,
/// header floods, bytes that are not UTF-8 in the headers the API reads. None gets a 5xx (a bad body is a 400 in
/// Stripe's envelope: `BodyReading`), and the server goes on serving.
@Suite(.serialized, .timeLimit(.minutes(2))) struct HTTPWireTests {
    static let auth = "Authorization: Bearer sk_test_wire\r\n"

    /// What an exchange must get. Framing errors may just close the connection; bytes that are not UTF-8 read as
    /// U+FFFD in a header, and are a 400 in a body.
    enum Expect {
        /// No 5xx, if anything answers.
        case noServerError
        /// An answer below 500 (an API error in Stripe's envelope).
        case answered
        /// This status (an API error in Stripe's envelope).
        case status(Int)
    }

    /// (name, what is sent, what it must get)
    static let exchanges: [(String, [UInt8], Expect)] = [
        ("garbage request line", Array("GARBAGE\r\n\r\n".utf8), .noServerError),
        ("unknown HTTP version", Array("GET /healthz HTTP/9.9\r\n\r\n".utf8), .noServerError),
        (
            "100 KB path", Array("GET /v1/customers/\(String(repeating: "a", count: 100_000)) HTTP/1.1\r\n\r\n".utf8),
            .noServerError
        ),
        ("header without a colon", Array("GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n".utf8), .noServerError),
        (
            "header flood",
            Array(
                ("GET /healthz HTTP/1.1\r\n"
                    + String(repeating: "X-Flood: \(String(repeating: "f", count: 8000))\r\n", count: 200) + "\r\n")
                    .utf8
            ),
            .noServerError
        ),
        (
            "non-numeric Content-Length",
            Array("POST /v1/customers HTTP/1.1\r\n\(auth)Content-Length: abc\r\n\r\n".utf8), .noServerError
        ),
        (
            "negative Content-Length", Array("POST /v1/customers HTTP/1.1\r\n\(auth)Content-Length: -1\r\n\r\n".utf8),
            .noServerError
        ),
        (
            "bad chunk size",
            Array(
                "POST /v1/customers HTTP/1.1\r\n\(auth)Transfer-Encoding: chunked\r\n\r\nzz\r\nname=x\r\n0\r\n\r\n".utf8
            ),
            .status(400)
        ),
        (
            "Content-Length and chunked",
            Array(
                "POST /v1/customers HTTP/1.1\r\n\(auth)Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nname=x\r\n0\r\n\r\n"
                    .utf8
            ),
            .noServerError
        ),
        (
            "body shorter than its length",
            Array("POST /v1/customers HTTP/1.1\r\n\(auth)Content-Length: 100\r\n\r\nname=x".utf8), .status(400)
        ),
        (
            "dashboard form cut short",
            Array("POST /dashboard/reset HTTP/1.1\r\nContent-Length: 100\r\n\r\nconfirm=1".utf8), .status(400)
        ),
        (
            "hosted flow form with a bad chunk",
            Array("POST /link/fcsess_client_secret_x/login HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8),
            .status(400)
        ),
        ("NUL in the path", Array("GET /v1/cus\u{0}tomers HTTP/1.1\r\n\(auth)\r\n".utf8), .noServerError),
        // Well-framed requests the API answers (an error in Stripe's envelope, or the request's result).
        (
            "Authorization not UTF-8",
            Array("GET /v1/customers HTTP/1.1\r\nAuthorization: Bearer sk_test_".utf8) + [0xFF, 0xFE]
                + Array("\r\n\r\n".utf8),
            .answered
        ),
        (
            "Stripe-Version not UTF-8",
            Array("GET /v1/customers HTTP/1.1\r\n\(auth)Stripe-Version: 2024-".utf8) + [0xC3] + Array("\r\n\r\n".utf8),
            .answered
        ),
        (
            "Idempotency-Key not UTF-8",
            Array("POST /v1/customers HTTP/1.1\r\n\(auth)Idempotency-Key: k".utf8) + [0xFF]
                + Array("\r\nContent-Length: 6\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nname=x".utf8),
            .answered
        ),
        (
            "form body not UTF-8",
            Array(
                "POST /v1/customers HTTP/1.1\r\n\(auth)Content-Length: 7\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nname="
                    .utf8
            ) + [0xFF, 0xC0],
            .status(400)
        ),
        (
            "JSON body not UTF-8 on v2",
            Array(
                "POST /v2/core/accounts HTTP/1.1\r\n\(auth)Stripe-Version: 2026-06-24.preview\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"display_name\": \""
                    .utf8
            ) + [0xFF, 0x22],
            .status(400)
        ),
        (
            "Content-Type nonsense",
            Array("POST /v1/customers HTTP/1.1\r\n\(auth)Content-Type: ;;;\r\nContent-Length: 6\r\n\r\nname=x".utf8),
            .answered
        ),
    ]

    @Test func malformedHTTPNeverGetsA5xxAndTheServerKeepsServing() async throws {
        let server = try await LiveServer(arguments: [])
        defer { server.stop() }
        for (name, bytes, expected) in Self.exchanges {
            let answer = try Self.exchange(port: server.port, bytes)
            let statusLine = answer.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
            let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) }
            switch expected {
            case .noServerError: #expect(status.map { $0 < 500 } ?? true, "\(name): \(statusLine)")
            case .answered: #expect(status.map { $0 < 500 } == true, "\(name): \(statusLine)")
            case .status(let wanted): #expect(status == wanted, "\(name): \(statusLine)")
            }
            // What reaches the API answers in Stripe's envelope (framing errors are answered by the HTTP parser).
            let api = String(decoding: bytes.prefix(40), as: UTF8.self).contains(" /v")
            let reachesTheApp: Bool = if case .noServerError = expected { false } else { true }
            if let status, status >= 400, api, reachesTheApp {
                #expect(answer.contains("\"error\""), "\(name): no error envelope in \(answer.prefix(400))")
            }
            // The server is still up and serving.
            #expect(try await server.request(.GET, "/healthz").status == 200, "after \(name)")
        }
        #expect(try await server.request(.GET, "/v1/customers", key: "sk_test_wire").status == 200)
    }

    /// Writes `bytes` on a new connection, shuts its sending side, and reads until the server closes or 5 s pass.
    static func exchange(port: Int, _ bytes: [UInt8]) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("connect: \(errno)") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }  // the server may close before reading everything (a flood, a bad line)
            offset += n
        }
        shutdown(fd, Int32(SHUT_WR))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }
}
