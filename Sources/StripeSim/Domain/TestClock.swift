import Foundation

/// A test clock (`clock_`): simulated time for the customers attached to it. Advancing moves `frozen_time`
/// forward; what falls due in between (ACH settlement) runs at its simulated due time.
package struct TestClock: StoredResource, Equatable {
    package static let table = "testClock"
    package static let objectName = "test_clock"
    /// Stripe's limit of customers per clock.
    package static let maxCustomers = 3
    /// Clocks without subscriptions may move at most two years past their frozen time.
    package static let maxAdvance = 2 * 365 * 86_400 + 86_400

    package var id: String
    package var created: Int
    package var frozenTime: Int
    package var name: String?
    package var status = Status.ready
    package var targetFrozenTime: Int?
    package var deletesAfter: Int
    package var deleted = false

    package enum Status: String, Codable, Sendable {
        case ready, advancing
        case internalFailure = "internal_failure"
    }

    package var columns: [String: IndexValue] { ["status": .text(status.rawValue), "deleted": .int(deleted ? 1 : 0)] }

    package func render() -> JSONValue {
        if deleted { return ["id": .string(id), "object": "test_helpers.test_clock", "deleted": true] }
        return [
            "id": .string(id), "object": "test_helpers.test_clock",
            "created": .int(created),
            "deletes_after": .int(deletesAfter),
            "frozen_time": .int(frozenTime),
            "livemode": false,
            "name": .optional(name),
            "status": .string(status.rawValue),
            "status_details": status == .advancing
                ? ["advancing": ["target_frozen_time": .optional(targetFrozenTime)]] : [:],
        ]
    }

    /// `POST …/advance`: validates the target and starts advancing.
    package mutating func beginAdvance(to target: Int) throws(StripeError) {
        guard status == .ready else {
            throw StripeError(
                status: 400,
                code: "test_clock_advancing",
                message:
                    "The test clock \(id) is already advancing; wait for it to be ready before advancing it again.",
                param: "frozen_time"
            )
        }
        guard target > frozenTime else {
            throw .invalidRequest(
                "The frozen_time (\(target)) must be after the test clock's current frozen_time (\(frozenTime)).",
                param: "frozen_time"
            )
        }
        guard target - frozenTime <= Self.maxAdvance else {
            throw .invalidRequest(
                "Cannot advance the test clock more than two years at a time; the latest allowed frozen_time is \(frozenTime + Self.maxAdvance).",
                param: "frozen_time"
            )
        }
        status = .advancing
        targetFrozenTime = target
    }

    /// Finishes an advance: the clock now reads its target time.
    package mutating func finishAdvance() {
        if let t = targetFrozenTime { frozenTime = t }
        targetFrozenTime = nil
        status = .ready
    }
}
