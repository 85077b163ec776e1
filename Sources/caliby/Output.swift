import ArgumentParser
import CalibyEngine
import Glibc

enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case table, tsv, csv, json, jsonl
}

/// One value of a result table; numbers stay numbers in JSON.
enum Cell {
    case text(String)
    case int(Int)
    case uint(UInt64)
    case real(Double)
    /// A size: exact bytes for scripts, binary units ("147.6 MiB") in a table for people.
    case bytes(Int)
    /// A document's field: typed in JSON (null when missing), text elsewhere (empty when missing).
    case value(FieldValue?)
    /// A value this row does not have (a hybrid hit one side did not find): null in JSON, empty elsewhere.
    case null

    var plain: String {
        switch self {
        case .text(let s): return s
        case .int(let i), .bytes(let i): return String(i)
        case .uint(let u): return String(u)
        case .real(let d): return d.isFinite ? "\(Float(d))" : "nan"
        case .value(let v): return v?.text ?? ""
        case .null: return ""
        }
    }

    var json: String {
        switch self {
        case .text(let s): return jsonString(s)
        case .real(let d) where !d.isFinite: return "null"
        case .value(let v): return v?.json ?? "null"
        case .null: return "null"
        default: return plain
        }
    }

    var isNumber: Bool {
        switch self {
        case .text: return false
        case .value(let v):
            switch v {
            case .int, .float: return true
            default: return false
            }
        default: return true
        }
    }

    /// The text of an aligned table.
    var display: String {
        switch self {
        case .bytes(let count): return ByteCount.text(count)
        case .value(.string(let s)?):
            // A passage on one line of a table: its start, without the line breaks.
            let line = String(s.map { $0.isNewline || $0 == "\t" ? " " : $0 })
            return line.count > Cell.maxDisplayWidth ? String(line.prefix(Cell.maxDisplayWidth - 1)) + "…" : line
        default: return plain
        }
    }

    static let maxDisplayWidth = 60
}

/// Every command's tabular output goes through here, so each format is written once: aligned
/// columns for people, exact TSV/CSV/JSON/JSON-lines for scripts (documented in caliby(1)).
struct Table {
    var columns: [String]
    var rows: [[Cell]] = []

    func render(_ format: OutputFormat) -> String {
        switch format {
        case .table: return aligned()
        case .tsv: return ([columns] + rows.map { $0.map(\.plain) }).map { $0.map(tsvField).joined(separator: "\t") + "\n" }.joined()
        case .csv: return ([columns] + rows.map { $0.map(\.plain) }).map { $0.map(csvField).joined(separator: ",") + "\n" }.joined()
        case .jsonl: return rows.map { object($0) + "\n" }.joined()
        case .json: return rows.isEmpty ? "[]\n" : "[\n" + rows.map { "  " + object($0) }.joined(separator: ",\n") + "\n]\n"
        }
    }

    /// JSON of a property/value table (`info`): one object whose keys are the properties, so that
    /// `jq .vectors` reads a value. Other formats keep the two columns.
    func renderProperties(_ format: OutputFormat) -> String {
        guard format == .json || format == .jsonl else { return render(format) }
        let record = Table(columns: rows.map { $0[0].plain }, rows: [rows.map { $0[1] }])
        return record.object(record.rows[0]) + "\n"
    }

    private func object(_ row: [Cell]) -> String {
        "{" + zip(columns, row).map { "\(jsonString($0)):\($1.json)" }.joined(separator: ",") + "}"
    }

    private func aligned() -> String {
        let texts = rows.map { $0.map(\.display) }
        var widths = columns.map(\.count)
        for row in texts { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String], numeric: [Bool]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return numeric[i] ? pad + cell : cell + pad
            }.joined(separator: "  ").trailingSpacesRemoved + "\n"
        }
        let numeric = columns.indices.map { i in rows.first.map { $0[i].isNumber } ?? false }
        return line(columns, numeric: numeric) + texts.map { line($0, numeric: numeric) }.joined()
    }

    private func tsvField(_ s: String) -> String {
        String(s.map { $0 == "\t" || $0 == "\n" ? " " : $0 })
    }

    private func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingAll("\"", with: "\"\"") + "\""
    }
}

func jsonString(_ s: String) -> String { FieldValue.jsonString(s) }

extension String {
    var trailingSpacesRemoved: String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }

    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}

/// Standard output and error as a command sees them.
enum Terminal {
    static var stdoutIsTerminal: Bool { isatty(1) == 1 }
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    static func write(_ text: String) { fputs(text, stdout) }
    static func note(_ text: String) { fputs(text + "\n", stderr) }

    /// The format the user asked for, else a table on a terminal and TSV in a pipe.
    static func format(_ requested: OutputFormat?) -> OutputFormat {
        requested ?? (stdoutIsTerminal ? .table : .tsv)
    }
}

/// "2026-11-25T12:00:00Z" from seconds since the epoch.
func isoTimestamp(_ seconds: Int64) -> String {
    var time = time_t(seconds)
    var parts = tm()
    gmtime_r(&time, &parts)
    var buffer = [CChar](repeating: 0, count: 32)
    strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
    return String(cString: buffer)
}
