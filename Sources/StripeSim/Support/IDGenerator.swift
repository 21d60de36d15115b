import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Makes Stripe-style ids (`cus_…`, `req_…`) and other random tokens.
///
/// `.random` is opaque and unguessable (system CSPRNG); `.seeded(n)` repeats the same sequence for the same
/// seed (`--seed`), so a scenario or recording replays with identical ids; `.incrementing()` gives
/// `cus_000001`-style ids for golden files.
package struct IDGenerator: Sendable {
    private enum Kind: Sendable { case system, seeded, counter }

    /// Holds the generator's mutable state; `Mutex` makes it safe to share between requests.
    private final class State: Sendable {
        let kind: Kind
        let rng: Mutex<SplitMix64>
        let counter = Mutex(0)
        init(kind: Kind, seed: UInt64) {
            self.kind = kind
            self.rng = Mutex(SplitMix64(seed: seed))
        }
    }

    private let state: State

    private init(_ kind: Kind, seed: UInt64 = 0) { state = State(kind: kind, seed: seed) }

    package static var random: IDGenerator { IDGenerator(.system) }
    package static func seeded(_ seed: UInt64) -> IDGenerator { IDGenerator(.seeded, seed: seed) }
    package static func incrementing() -> IDGenerator { IDGenerator(.counter) }

    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    private func nextRaw() -> UInt64 {
        switch state.kind {
        case .system:
            return SystemEntropy.shared.next()
        case .seeded: return state.rng.withLock { $0.next() }
        case .counter:
            return UInt64(
                state.counter.withLock { c -> Int in
                    c += 1
                    return c
                }
            )
        }
    }

    /// A random base62 string of `length` characters (zero-padded counter for `.incrementing()`).
    package func token(_ length: Int) -> String {
        if state.kind == .counter {
            let s = String(nextRaw())
            return String(repeating: "0", count: max(0, length - s.count)) + s
        }
        if state.kind == .seeded {
            return state.rng.withLock { g in Self.base62(length) { g.next() } }
        }
        return Self.base62(length) { SystemEntropy.shared.next() }
    }

    /// `length` base62 characters, ten from each 64-bit draw (62^10 < 2^64), so a 24-character id costs three
    /// draws.
    private static func base62(_ length: Int, _ next: () -> UInt64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(length)
        var value: UInt64 = 0
        var left = 0
        for _ in 0..<length {
            if left == 0 {
                value = next()
                left = 10
            }
            out.append(alphabet[Int(value % 62)])
            value /= 62
            left -= 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `prefix_` + 24 base62 characters (Stripe's customer ids are shorter: pass `length: 14`).
    package func make(_ prefix: String, length: Int = 24) -> String { prefix + "_" + token(length) }
}

/// The system CSPRNG, drawn 4 KiB at a time: one read of `/dev/urandom` per 512 draws instead of a `getrandom`
/// call per draw (ids and request ids are made on every request). What it hands out is the kernel generator's
/// output, unchanged.
final class SystemEntropy: Sendable {
    static let shared = SystemEntropy()
    private static let size = 512
    /// The kernel's CSPRNG, the same source `SystemRandomNumberGenerator` draws from, opened once.
    private static let urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    private struct Pool {
        var words: [UInt64] = []
        var used = 0
    }

    private let pool = Mutex(Pool())

    func next() -> UInt64 {
        pool.withLock { pool in
            if pool.used == pool.words.count {
                if pool.words.isEmpty { pool.words = Array(repeating: 0, count: Self.size) }
                pool.words.withUnsafeMutableBytes { raw in
                    var filled = 0
                    while Self.urandom >= 0 && filled < raw.count {
                        let n = read(Self.urandom, raw.baseAddress! + filled, raw.count - filled)
                        if n <= 0 { break }
                        filled += n
                    }
                    // Without /dev/urandom (or should a read fail), one draw at a time.
                    var g = SystemRandomNumberGenerator()
                    for i in stride(from: filled / 8 * 8, to: raw.count, by: 8) {
                        raw.storeBytes(of: g.next(), toByteOffset: i, as: UInt64.self)
                    }
                }
                pool.used = 0
            }
            defer { pool.used += 1 }
            return pool.words[pool.used]
        }
    }
}

/// SplitMix64: tiny, fast, good enough for reproducible ids (not for secrets; `--seed` is a testing mode).
package struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    package init(seed: UInt64) { state = seed }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
