import ArgumentParser
import FoundationEssentials

/// What TAB completes in the REPL, read from argument-parser's own description of the commands
/// (the JSON behind `caliby --experimental-dump-help`, which the man pages are generated from too),
/// so completion follows every change to the commands' arguments without a table to maintain.
struct ReplCompletion {
    private let commands: [String: CommandInfo]
    /// Command names the REPL accepts, in help order, then its own words.
    let commandNames: [String]
    /// What `help` takes: every command, the refused ones too (`help repl` explains the session).
    private let helpTopics: [String]

    init(builtins: [String], refused: Set<String>) {
        let root = try? JSONDecoder().decode(ToolInfo.self, from: Data(CalibyCommand._dumpHelp().utf8)).command
        let shown = (root?.subcommands ?? []).filter(\.shouldDisplay)
        let usable = shown.filter { !refused.contains($0.commandName) }
        commands = Dictionary(usable.map { ($0.commandName, $0) }, uniquingKeysWith: { first, _ in first })
        commandNames = usable.map(\.commandName) + builtins
        helpTopics = shown.map(\.commandName)
    }

    enum Candidates: Equatable {
        case words([String])
        case indexNames
        /// Readline's own file-name completion.
        case fileNames
        /// The field names of an index, for a word that lists or uses them (`--fields`, `--where`,
        /// `--set`): the word's text up to its last separator stays in front of each.
        case fieldNames(index: String)
    }

    /// Options whose value names fields of the command's index.
    private static let fieldOptions: Set<String> = ["--fields", "--where", "--set", "--unset"]

    /// Candidates for the word after `before` (the line up to that word).
    func candidates(before: String, word: String) -> Candidates {
        var words = ShellWords.splitPartial(before)
        // Readline completes a quoted word from after its opening quote: that quote opened a word
        // that is the one being completed, not one typed before it.
        if ShellWords.endsInQuote(before) { words.removeLast() }
        guard let name = words.first else { return .words(commandNames) }
        if name == "help" { return words.count == 1 ? .words(helpTopics) : .words([]) }
        guard let command = commands[name] else { return .words([]) }
        let arguments = command.arguments ?? []
        if word.hasPrefix("-") {
            return .words(arguments.filter(\.shouldDisplay).flatMap { $0.names ?? [] }.map(\.spelling))
        }
        // Walk the words typed so far: an option's value is not a positional argument.
        var positional = 0
        var valueOf: ArgumentInfo?
        for typed in words.dropFirst() {
            if valueOf != nil {
                valueOf = nil
            } else if typed.hasPrefix("-") && typed != "-" {
                let option = arguments.first { $0.names?.contains { $0.spelling == typed } == true }
                if option?.kind == .option { valueOf = option }
            } else {
                positional += 1
            }
        }
        if let valueOf {
            let index = words.dropFirst().first { !$0.hasPrefix("-") }
            if let index, valueOf.names?.contains(where: { ReplCompletion.fieldOptions.contains($0.spelling) }) == true {
                return .fieldNames(index: index)
            }
            return valueOf.completion
        }
        let positionals = arguments.filter { $0.kind == .positional }
        guard let last = positionals.last else { return .fileNames }
        return positional < positionals.count ? positionals[positional].completion
                                              : last.isRepeating ? last.completion : .fileNames
    }
}

// The subset of argument-parser's ToolInfoV0 that completion needs.
private struct ToolInfo: Decodable {
    var command: CommandInfo
}

private struct CommandInfo: Decodable {
    var commandName: String
    var shouldDisplay: Bool
    var arguments: [ArgumentInfo]?
    var subcommands: [CommandInfo]?
}

private struct ArgumentInfo: Decodable {
    enum Kind: String, Decodable { case positional, option, flag }
    struct Name: Decodable {
        var kind: String
        var name: String

        var spelling: String { kind == "long" ? "--" + name : "-" + name }
    }

    var kind: Kind
    var names: [Name]?
    var isRepeating: Bool
    var shouldDisplay: Bool
    var completionKind: CompletionKindInfo?

    var completion: ReplCompletion.Candidates {
        switch completionKind {
        case .list(let values): return .words(values)
        case .custom: return .indexNames
        case .other, nil: return .fileNames
        }
    }
}

/// `{"list":{"values":[…]}}`, `{"custom":{}}`, `{"file":{…}}`: the key says which kind.
private enum CompletionKindInfo: Decodable {
    case list([String])
    case custom
    case other

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private struct ListValues: Decodable { var values: [String] }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        switch container.allKeys.first?.stringValue {
        case "list": self = .list(try container.decode(ListValues.self, forKey: Key(stringValue: "list")).values)
        case "custom", "customAsync", "customDeprecated": self = .custom
        default: self = .other
        }
    }
}
