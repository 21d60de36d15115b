import Foundation
import Synchronization

/// The webhook receiver of in-process scenario runs (no network): every delivery is answered here. A URL whose
/// path contains `/fail/N` answers 500 to its first N attempts, then 200 (`/fail/always` never succeeds), so a
/// scenario can exercise retries; anything else answers 200.
package final class ScriptedWebhookTransport: WebhookTransport {
    private let attempts = Mutex<[String: Int]>([:])

    package init() {}

    package func send(_ request: WebhookRequest) async -> WebhookResponse {
        let n = attempts.withLock { counts -> Int in
            counts[request.url, default: 0] += 1
            return counts[request.url]!
        }
        let parts = (URLComponents(string: request.url)?.path ?? "").split(separator: "/")
        if let i = parts.firstIndex(of: "fail"), i + 1 < parts.count {
            let spec = parts[i + 1]
            if spec == "always" || Int(spec).map({ n <= $0 }) == true {
                return .response(status: 500, bodyExcerpt: "scripted failure \(n)")
            }
        }
        return .response(status: 200, bodyExcerpt: "ok")
    }
}
