/// Prometheus' text exposition format (version 0.0.4), for `stats --format prometheus` and
/// `--stats-format prometheus`: one HELP and TYPE line per metric, then its samples.
struct Prometheus {
    private(set) var text = ""

    /// One metric; each sample is its labels (in order) and its value.
    mutating func metric(_ name: String, _ type: String, help: String, samples: [([(String, String)], Double)]) {
        guard !samples.isEmpty else { return }
        text += "# HELP caliby_\(name) \(help)\n# TYPE caliby_\(name) \(type)\n"
        for (labels, value) in samples {
            let set = labels.isEmpty ? "" : "{" + labels.map { "\($0)=\"\(Prometheus.escaped($1))\"" }.joined(separator: ",") + "}"
            text += "caliby_\(name)\(set) \(Prometheus.number(value))\n"
        }
    }

    /// A label value as the format quotes it: backslash, double quote and newline escaped.
    static func escaped(_ value: String) -> String {
        value.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n")
    }

    /// Integers without a fraction (counts and bytes stay exact), others as Go's ParseFloat reads them.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}
