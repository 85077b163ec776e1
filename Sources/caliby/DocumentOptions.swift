import ArgumentParser
import CalibyEngine

/// `--where` and `--fields`, shared by `search` and `get`, so a filter and a field list read and
/// fail the same way in both.
struct DocumentQueryOptions: ParsableArguments {
    @Option(name: .customLong("where"), help: ArgumentHelp(
        "Only documents matching this filter, e.g. \"category = 'audio' AND price < 20\" (caliby(1), FILTERS).",
        discussion: """
            Operators: = != < <= > >=, IN (...), BETWEEN a AND b, CONTAINS (arrays), IS [NOT] NULL, \
            AND, OR, NOT, parentheses; 'single' or "double" quoted strings, numbers, TRUE, FALSE. A \
            comparison with a missing value is not true. labels CONTAINS n selects the vectors carrying \
            label n (as --filter n does).
            """, valueName: "filter"))
    var filter: String?

    @Option(name: .long, help: ArgumentHelp("Fields to print with each result, comma-separated; '*' for all.", valueName: "names"))
    var fields: String?

    /// The parsed filter; a syntax or type error is a usage error pointing into the option's text.
    func parsedFilter(for collection: DocumentCollection) throws -> Filter? {
        guard let filter else { return nil }
        do {
            return try Filter(parsing: filter, schema: collection.schema)
        } catch CalibyError.badFilter(let line, let column, let message) {
            throw CalibyError.invalidArgument("--where: \(line):\(column): \(message)")
        }
    }

    /// The names of the fields to print, checked against the schema; empty when none were asked.
    func fieldNames(for collection: DocumentCollection) throws -> [String] {
        guard let fields else { return [] }
        let schema = collection.schema
        if fields.trimmingSpaces == "*" { return schema.fields.map(\.name) }
        let names = fields.split(separator: ",").map { String($0).trimmingSpaces }
        for name in names where schema.position(of: name) == nil {
            throw CalibyError.invalidArgument("--fields: " + collection.unknownFieldMessage(name))
        }
        return names
    }
}

extension DocumentCollection {
    /// The cells of `names` from a document, in that order.
    func cells(_ document: Document, _ names: [String]) -> [Cell] {
        names.map { .value(schema.position(of: $0).flatMap { document[$0] }) }
    }
}

/// `--field`, `--schema`, `--index-field`, `--analyzer` and `--document-space` of `create`.
struct FieldOptions: ParsableArguments {
    @Option(name: .customLong("field"), help: ArgumentHelp(
        "A document field, name:type (repeat for more); name:type! is required.",
        discussion: "Types: int, float, bool, string, text, int[], string[]. A text field is full-text indexed; name:text:noindex is not.",
        valueName: "name:type"))
    var fieldSpecs: [String] = []

    @Option(name: .long, help: ArgumentHelp("""
        How text fields become search terms: standard (Unicode words, case and diacritics folded), \
        english (standard, then Porter stemming), whitespace (split on spaces only, nothing folded). \
        Default: standard. No stop words are dropped.
        """, valueName: "analyzer"))
    var analyzer: Analyzer?

    @Option(name: .long, help: ArgumentHelp("A JSON file of fields: {\"fields\": [{\"name\": \"title\", \"type\": \"text\"}, ...]}.",
                                            valueName: "file"), completion: .file(extensions: ["json"]))
    var schema: String?

    @Option(name: .customLong("index-field"), help: ArgumentHelp("Keep a secondary index on this field (repeat for more); filters on it read only what matches.",
                                                                 valueName: "name"))
    var indexedFields: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "Space reserved for documents and field indexes: \(ByteSize.grammar) (default: 4K per --max-elements, at least 64M).",
        valueName: "size"))
    var documentSpace: String?

    /// The schema these options describe (empty: an index of vectors alone).
    func resolvedSchema() throws -> Schema {
        var schema = Schema(fields: try fieldSpecs.map(Field.init(parsing:)))
        if let path = self.schema {
            if !fieldSpecs.isEmpty { throw ValidationError("give --field or --schema, not both") }
            schema = try Schema(jsonFile: path)
        }
        for name in indexedFields {
            guard let i = schema.position(of: name) else {
                throw CalibyError.invalidArgument("--index-field: no field named '\(name)'")
            }
            schema.fields[i].indexed = true
        }
        try schema.validate()
        return schema
    }

    func documentBytes() throws -> Int? { try documentSpace.map { try ByteSize.parse($0, option: "--document-space") } }
}

/// `--set field=value` of `update`: the value is read by the field's type, as a CSV cell is.
func parseAssignment(_ text: String, schema: Schema) throws -> (field: String, value: FieldValue?) {
    guard let equals = text.firstIndex(of: "=") else {
        throw CalibyError.invalidArgument("--set '\(text)': expected field=value")
    }
    let name = String(text[..<equals]).trimmingSpaces
    guard let field = schema.field(named: name) else {
        throw CalibyError.invalidArgument("--set: no field named '\(name)'" + (schema.isEmpty ? "" : " (fields: \(schema.fields.map(\.name).joined(separator: ", ")))"))
    }
    let value = String(text[text.index(after: equals)...])
    do {
        return (name, try FieldValue(text: value, type: field.type))
    } catch let error as CalibyError {
        throw CalibyError.invalidArgument("--set \(name): \(error.description)")
    }
}
