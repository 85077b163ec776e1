import ArgumentParser
import CalibyEngine

/// The error for a word where a command name belongs, on the command line (`caliby frobnicate`,
/// `caliby help frobnicate`) and in the REPL. argument-parser would report the word as an unexpected
/// argument, or the next option as unknown, which hides the typo; git's wording names it instead and
/// offers the command it is closest to.
enum CommandSuggestion {
    /// Edits (insertion, deletion, substitution, transposition of neighbours) a typo may be away from
    /// the command it meant; git's threshold.
    static let maximumDistance = 2

    /// Throws when `word` is not one of `commands`. The error is a usage error (exit 64).
    static func require(_ word: String, among commands: [String]) throws {
        guard !commands.contains(word) else { return }
        var message = "'\(word)' is not a caliby command"
        let near = NameSuggestion.closest(to: word, among: commands, maximumDistance: maximumDistance)
        if !near.isEmpty { message += ". Did you mean " + near.map { "'\($0)'" }.joined(separator: " or ") + "?" }
        throw ValidationError(message)
    }
}

extension CalibyCommand {
    /// Names the command line takes as its first word: the subcommands and argument-parser's `help`.
    static var commandNames: [String] { configuration.subcommands.map { $0._commandName } + ["help"] }

    /// Checks the words before parsing, so that a mistyped command is named as such. Only words that
    /// can be a command are looked at: the first, and the topic after `help`; options are left to
    /// argument-parser.
    static func requireKnownCommand(_ arguments: [String]) throws {
        guard let first = arguments.first, !first.hasPrefix("-") else { return }
        try CommandSuggestion.require(first, among: commandNames)
        if first == "help", let topic = arguments.dropFirst().first, !topic.hasPrefix("-") {
            try CommandSuggestion.require(topic, among: commandNames)
        }
    }
}
