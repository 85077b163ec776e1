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
    @Option(name: .long, help: ArgumentHelp(
        "CSV/TSV: is the first line a header? yes skips it, no reads it as a record, auto decides.",
        discussion: """
            auto takes the first line as a header only when every field has a letter, is not a number \
            (nan, inf and 0x1p3 are numbers) and has no control character or invalid UTF-8. Any other \
            first line is a record, so a damaged one is an error naming its line instead of a skipped \
            header. A header must have as many fields as the records.
            """))
    var header: HeaderChoice = .auto

    /// A reader of `path` ("-": standard input) with these options and the command's own.
    func reader(path: String, format: VectorFormat, dimensions: Int, idColumn: Int? = nil,
                labelsColumn: Int? = nil) throws -> VectorReader {
        try VectorReader(path: path, options: VectorReaderOptions(
            format: format, dimensions: dimensions, idColumn: idColumn, labelsColumn: labelsColumn, header: header.rule))
    }
}
