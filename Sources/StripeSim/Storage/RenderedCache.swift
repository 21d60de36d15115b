import Synchronization

/// The most recently written or read stored API bodies (`rendered`, see `StoredResource.keepsRendered`), in
/// memory, so a retrieve of a hot object answers without entering the database.
///
/// It follows the database:
/// - every write of such a body goes through `Store.insert`/`update`, and reaches the cache only from the
///   group commit, after its transaction committed and before its request is answered, in commit order
///   (`apply`); a rolled-back write never does. So the writer, and anyone who heard of the write from it, reads
///   the new body; only between the commit and `apply` (microseconds, on the committing task) can another
///   client still get the body from just before;
/// - a body read from the database is kept only if no write reached the cache since the read began
///   (`generation` / `fill`), so a read that raced a write cannot put back the older body;
/// - resetting an account empties it.
///
/// Bounded, in two generations: bodies go to `young`; when it holds half the capacity it becomes `old` (the
/// previous `old` is dropped) and a new `young` starts, so at most `capacity` bodies are kept and the ones in
/// use keep moving up (a lookup that finds a body in `old` puts it back in `young`). A miss only costs a
/// database read.
final class RenderedCache: Sendable {
    struct Key: Hashable, Sendable {
        var table: String
        var account: String
        var id: String
    }

    private struct State {
        var young: [Key: String] = [:]
        var old: [Key: String] = [:]
        var generation = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 10_000) { self.capacity = max(1, capacity) }

    func lookup(_ key: Key) -> String? {
        state.withLock { state in
            if let body = state.young[key] { return body }
            guard let body = state.old.removeValue(forKey: key) else { return nil }
            Self.insert(key, body, into: &state, capacity: capacity)
            return body
        }
    }

    /// Call before reading a body from the database; pass the value to `fill`.
    var generation: Int { state.withLock { $0.generation } }

    /// Keeps a body read from the database, unless a write reached the cache since `generation` was read.
    func fill(_ key: Key, _ body: String, readAt generation: Int) {
        state.withLock { state in
            guard state.generation == generation else { return }
            Self.insert(key, body, into: &state, capacity: capacity)
        }
    }

    /// Committed writes, in commit order.
    func apply(_ writes: [(Key, String)]) {
        guard !writes.isEmpty else { return }
        state.withLock { state in
            state.generation &+= 1
            for (key, body) in writes { Self.insert(key, body, into: &state, capacity: capacity) }
        }
    }

    /// Forgets every body of `account` (its rows were deleted).
    func forget(account: String) {
        state.withLock { state in
            state.generation &+= 1
            state.young = state.young.filter { $0.key.account != account }
            state.old = state.old.filter { $0.key.account != account }
        }
    }

    var count: Int { state.withLock { $0.young.count + $0.old.count } }

    private static func insert(_ key: Key, _ body: String, into state: inout State, capacity: Int) {
        state.old[key] = nil  // never two versions of one body
        state.young[key] = body
        if state.young.count >= max(1, capacity / 2) {
            state.old = state.young
            state.young = [:]
            state.young.reserveCapacity(max(1, capacity / 2))
        }
    }
}
