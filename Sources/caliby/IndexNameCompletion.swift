import ArgumentParser
import CalibyEngine

extension CompletionKind {
    /// Names of the indexes that exist, for arguments that name one (not `create`'s new name).
    ///
    /// Shells run this inside `caliby` when TAB is pressed: it reads the catalog of the directory the
    /// command line is about (its `--dir`, else $CALIBY_DIR or the default), as `caliby list
    /// --names-only` would. The REPL answers every `.custom` completion from its open directory
    /// instead (ReplCompletion), so `.custom` must stay reserved for index names.
    static var indexName: CompletionKind { .custom(completeIndexName) }
}

extension CompletionKind {
    /// The files insert and search read: the shells offer these extensions and directories. Another
    /// name can still be typed (with --input-format), as can - for standard input.
    static var vectorFile: CompletionKind { .file(extensions: ["fvecs", "bvecs", "csv", "tsv", "jsonl", "json", "ndjson"]) }
}

/// `words` are the shell's words verbatim, quotes and all; `prefix` is what is typed of the name.
@Sendable private func completeIndexName(words: [String], current: Int, prefix: String) -> [String] {
    var directory: String?
    for (i, word) in words.enumerated() where i != current {
        if word == "--dir", i + 1 < words.count, i + 1 != current {
            directory = ShellWords.splitPartial(words[i + 1]).first
        } else if word.hasPrefix("--dir=") {
            directory = ShellWords.splitPartial(String(word.dropFirst("--dir=".count))).first
        }
    }
    // The shell expands a leading ~ only when it runs the command, so the word still has it here.
    if let dir = directory, dir == "~" || dir.hasPrefix("~/"), let home = ProcessEnvironment.value("HOME") {
        directory = home + dir.dropFirst()
    }
    let typed = ShellWords.splitPartial(prefix).first ?? ""
    // Completion must never print an error into the user's command line: no directory, no lock
    // (a writer or a REPL holds it) or a bad $CALIBY_BUFFER_SIZE simply offer nothing.
    guard let options = try? GlobalOptions.parse(directory.map { ["--dir", $0] } ?? []),
          let database = try? options.open(.readOnly) else { return [] }
    defer { try? database.close() }
    return database.listIndexes().map(\.name).filter { $0.hasPrefix(typed) }
}
