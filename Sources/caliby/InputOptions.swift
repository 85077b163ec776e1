import ArgumentParser
import CalibyEngine

extension VectorFormat: ExpressibleByArgument {}

/// `--header`'s values: the words a user types, mapped to the engine's rule.
enum HeaderChoice: String, CaseIterable, ExpressibleByArgument {
    case auto, yes, no

    var rule: HeaderLine {
        switch self {
        case .auto: return .auto
        case .yes: return .present
        case .no: return .absent
        }
    }
}

/// Options of every command that reads vectors from a file or standard input (insert, search), so
/// that a CSV/TSV file reads the same way wherever it is given.
struct VectorInputOptions: ParsableArguments {
    @Option(name: .long, help: "Input format: fvecs, bvecs, csv, tsv or jsonl (default: from the file's extension; csv on standard input).")
    var inputFormat: VectorFormat?

    @Option(name: .long, help: ArgumentHelp(
        "CSV/TSV: is the first line a header? yes skips it, no reads it as a record, auto decides.",
        discussion: """
            auto takes the first line as a header only when every field has a letter, is not a number \
            (nan, inf and 0x1p3 are numbers) and has no control character or invalid UTF-8. Any other \
            first line is a record, so a damaged one is an error naming its line instead of a skipped \
            header. A header must have as many fields as the records.
            """))
    var header: HeaderChoice = .auto

    @Flag(name: .long, help: "Skip JSON keys and CSV/TSV columns that name no field of the index (default: an error).")
    var ignoreUnknown = false

    @Option(name: .long, help: ArgumentHelp(
        "CSV/TSV: the columns holding the vector's components, e.g. 4-387 (1-based, inclusive).",
        discussion: "The header names the other columns: id, labels and the index's fields. Without this option the vector is one column named vector.",
        valueName: "first-last"),
        transform: parseColumnRange)
    var vectorColumns: ClosedRange<Int>?

    /// The format of `path` ("-": standard input): --input-format, else `spelled` (a command's older
    /// name for it), else the extension's.
    func format(of path: String, spelled: VectorFormat? = nil) throws -> VectorFormat {
        // Standard input has no extension to go by; CSV is what a shell pipeline most likely holds.
        guard let format = inputFormat ?? spelled ?? (path == "-" ? .csv : VectorFormat.infer(fromPath: path)) else {
            throw CalibyError.invalidArgument("\(path): unknown extension (not .fvecs, .bvecs, .csv, .tsv or .jsonl); give --input-format")
        }
        return format
    }

    /// A reader of `path` with these options and the command's own; `schema` is the index's fields,
    /// when the records carry documents.
    func reader(path: String, format: VectorFormat, dimensions: Int, idColumn: Int? = nil,
                labelsColumn: Int? = nil, schema: Schema = Schema()) throws -> VectorReader {
        try VectorReader(path: path, options: VectorReaderOptions(
            format: format, dimensions: dimensions, idColumn: idColumn, labelsColumn: labelsColumn, header: header.rule,
            schema: schema, ignoreUnknown: ignoreUnknown, vectorColumns: vectorColumns))
    }
}

/// "4-387" → 4...387, for --vector-columns.
func parseColumnRange(_ text: String) throws -> ClosedRange<Int> {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, let first = Int(parts[0]), let last = Int(parts[1]), first >= 1, first <= last else {
        throw CalibyError.invalidArgument("--vector-columns '\(text)': expected first-last, 1-based columns with first <= last, e.g. 4-387")
    }
    return first...last
}

/// "0.1,0.2 0.3" → [0.1, 0.2, 0.3]; commas and/or spaces separate.
func parseVectorArgument(_ text: String, dimensions: Int) throws -> [Float] {
    let fields = text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" })
    var values: [Float] = []
    for (i, field) in fields.enumerated() {
        guard let value = Float(field), value.isFinite else {
            throw CalibyError.badInput(location: "--vector", message: "component \(i + 1): '\(field)' is not a finite number")
        }
        values.append(value)
    }
    guard values.count == dimensions else {
        throw CalibyError.badInput(location: "--vector", message: "expected \(dimensions) values, found \(values.count)")
    }
    return values
}
