import Foundation
import GRDB
import Synchronization

/// Read-only connections to the `--db` file for one-query reads (a retrieve by id that missed the
/// `RenderedCache`, a page of a list: `AppDatabase.read(oneQuery:)`), checked out of a plain list under a lock.
/// GRDB's reader pool, which serves every other read, spends a semaphore, a read-write lock and several closures on
/// each checkout: about as much as the query itself.
///
/// Connections open on demand, at most `capacity`; when every one is in use, the read returns `nil` and the caller
/// goes to the pool instead. Like the pool's readers they read beside the writer in WAL mode; a read outside a
/// transaction runs its one statement on one snapshot.
final class OneQueryReaders: Sendable {
    private struct State {
        var idle: [DatabaseQueue] = []
        var opened = 0
    }

    private let path: String
    private let configuration: Configuration
    private let capacity: Int
    private let state = Mutex(State())

    init(path: String, configuration: Configuration, capacity: Int) {
        var configuration = configuration
        configuration.readonly = true
        self.path = path
        self.configuration = configuration
        self.capacity = max(1, capacity)
    }

    /// Connections opened so far (for tests).
    var openedCount: Int { state.withLock { $0.opened } }

    /// `body` on an idle connection (opened now if there is room), or `nil` when none is free.
    func read<T>(_ body: (Database) throws -> T) throws -> T? {
        guard let queue = checkOut() else { return nil }
        defer { state.withLock { $0.idle.append(queue) } }
        return try queue.unsafeRead(body)
    }

    private func checkOut() -> DatabaseQueue? {
        enum Take {
            case idle(DatabaseQueue)
            case open
            case none
        }
        let take: Take = state.withLock { state in
            if let queue = state.idle.popLast() { return .idle(queue) }
            guard state.opened < capacity else { return .none }
            state.opened += 1
            return .open
        }
        switch take {
        case .idle(let queue): return queue
        case .none: return nil
        case .open:
            do {
                return try DatabaseQueue(path: path, configuration: configuration)
            } catch {
                state.withLock { $0.opened -= 1 }  // the pool serves this read; a later one tries again
                return nil
            }
        }
    }
}
