import Foundation

/// The readable report of a run: each scenario with each step (✓ passed, ✗ failed, · skipped), the first
/// failing expectation with the response it was about, and a summary line.
package enum ScenarioReport {
    package static func text(_ results: [ScenarioResult], seconds: Double, color: Bool = false) -> String {
        func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
        let pass = paint("✓", "32")
        let fail = paint("✗", "31")
        let skip = paint("·", "90")
        var out = ""
        for r in results {
            let ran = r.steps.filter { $0.outcome != .skipped }.count
            let progress = r.error == nil ? "\(ran)/\(r.steps.count) steps · \(ms(r.seconds))" : "not run"
            let head = "\(r.passed ? pass : fail) \(r.name)  \(paint("\(r.file) · \(progress)", "90"))"
            out += head + "\n"
            if let error = r.error {
                out += "    " + paint(error, "31") + "\n"
                continue
            }
            for s in r.steps {
                let mark = s.outcome == .passed ? pass : (s.outcome == .failed ? fail : skip)
                var line = "  \(mark) \(s.index). \(s.name)"
                if s.outcome != .skipped, s.summary != s.name, !s.summary.isEmpty {
                    line += paint("  \(s.summary)", "90")
                }
                if s.outcome == .skipped { line += paint("  (skipped)", "90") }
                out += line + "\n"
                if s.outcome == .failed {
                    let at = s.line.map { " (\(r.file):\($0))" } ?? ""
                    out += "      " + paint((s.failure ?? "failed") + at, "31") + "\n"
                    if let excerpt = s.excerpt {
                        for l in excerpt.split(separator: "\n", omittingEmptySubsequences: false) {
                            out += "        \(l)\n"
                        }
                    }
                }
            }
        }
        let failed = results.filter { !$0.passed }.count
        let steps = results.reduce(0) { $0 + $1.steps.count }
        out += "\n"
        out +=
            failed == 0
            ? paint("\(results.count) scenario\(results.count == 1 ? "" : "s") passed", "32")
            : paint("\(failed) of \(results.count) scenario\(results.count == 1 ? "" : "s") failed", "31")
        out += " · \(steps) steps · \(ms(seconds))\n"
        return out
    }

    static func ms(_ seconds: Double) -> String {
        seconds < 1 ? String(format: "%.0f ms", seconds * 1000) : String(format: "%.2f s", seconds)
    }
}
