import Foundation

/// JUnit XML for CI (`--junit FILE`): one `<testsuite>` per scenario, one `<testcase>` per step; a failed step
/// carries `<failure>` with the expectation and the response, skipped steps `<skipped/>`, and a scenario that
/// could not be read or set up one `<testcase name="setup">` with `<error>`.
package enum JUnit {
    package static func xml(_ results: [ScenarioResult], name: String = "stripe-sim scenarios") -> String {
        let tests = results.reduce(0) { $0 + max(1, $1.steps.count) }
        let failures = results.reduce(0) { $0 + $1.steps.filter { $0.outcome == .failed }.count }
        let errors = results.filter { $0.error != nil }.count
        let skipped = results.reduce(0) { $0 + $1.steps.filter { $0.outcome == .skipped }.count }
        let total = results.reduce(0) { $0 + $1.seconds }
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out +=
            #"<testsuites name="\#(escape(name))" tests="\#(tests)" failures="\#(failures)" errors="\#(errors)" skipped="\#(skipped)" time="\#(time(total))">"#
            + "\n"
        for r in results {
            let classname = escape(suiteClass(r))
            let f = r.steps.filter { $0.outcome == .failed }.count
            let s = r.steps.filter { $0.outcome == .skipped }.count
            out +=
                #"  <testsuite name="\#(escape(r.name))" tests="\#(max(1, r.steps.count))" failures="\#(f)" errors="\#(r.error == nil ? 0 : 1)" skipped="\#(s)" time="\#(time(r.seconds))" file="\#(escape(r.file))">"#
                + "\n"
            if let error = r.error {
                out += #"    <testcase name="setup" classname="\#(classname)" time="0">"# + "\n"
                out += #"      <error message="\#(escape(firstLine(error)))">\#(escape(error))</error>"# + "\n"
                out += "    </testcase>\n"
            }
            for step in r.steps {
                let name = escape(String(format: "%02d. ", step.index) + step.name)
                out += #"    <testcase name="\#(name)" classname="\#(classname)" time="\#(time(step.seconds))""#
                switch step.outcome {
                case .passed:
                    out += "/>\n"
                case .skipped:
                    out += ">\n      <skipped/>\n    </testcase>\n"
                case .failed:
                    let message = step.failure ?? "failed"
                    var detail = message
                    if !step.summary.isEmpty { detail = step.summary + "\n" + detail }
                    if let line = step.line { detail += "\n\(r.file):\(line)" }
                    if let excerpt = step.excerpt { detail += "\n\n" + excerpt }
                    out += ">\n"
                    out +=
                        #"      <failure message="\#(escape(firstLine(message)))" type="expectation">\#(escape(detail))</failure>"#
                        + "\n"
                    out += "    </testcase>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    private static func suiteClass(_ r: ScenarioResult) -> String {
        let file = URL(fileURLWithPath: r.file).deletingPathExtension().lastPathComponent
        return "scenarios." + (file.isEmpty ? r.name : file)
    }

    private static func firstLine(_ s: String) -> String { String(s.split(separator: "\n").first ?? "") }

    private static func time(_ seconds: Double) -> String { String(format: "%.3f", seconds) }

    /// XML 1.0 text: the five entities escaped; characters XML cannot carry (most controls) dropped.
    package static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                if v < 0x20 || (0xFFFE...0xFFFF).contains(v) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
