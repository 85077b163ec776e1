import ArgumentParser
import CalibyEngine
import Glibc

/// A file of ids, one per line (blank lines skipped), written as IDText says.
func readIDList(_ path: String) throws -> [UInt64] {
    var ids: [UInt64] = []
    try forEachLine(of: path) { number, text in
        if !text.isEmpty { ids.append(try IDText.id(text, location: "\(path):\(number)")) }
    }
    return ids
}

/// A `--labels` file: one line of labels per record, written as IDText says (a blank line: none).
func readLabelList(_ path: String) throws -> [[UInt32]] {
    var lists: [[UInt32]] = []
    try forEachLine(of: path) { number, text in lists.append(try IDText.labels(text, location: "\(path):\(number)")) }
    return lists
}

/// Calls `body` with each line's 1-based number and its text without surrounding spaces; `-` is
/// standard input.
func forEachLine(of path: String, _ body: (Int, String) throws -> Void) throws {
    guard let file = path == "-" ? stdin : fopen(path, "r") else {
        throw errno == ENOENT ? CalibyError.noSuchFile(path) : CalibyError.io(path: path, operation: "open", errno: errno)
    }
    defer { if file != stdin { fclose(file) } }
    var line: UnsafeMutablePointer<CChar>?
    defer { free(line) }
    var capacity = 0
    var number = 0
    while getline(&line, &capacity, file) >= 0 {
        number += 1
        try body(number, String(cString: line!).trimmingSpaces)
    }
}

/// Ids given as arguments (delete, get). They are collected as words, so a word that is an option,
/// not a number, is reported as the unknown option it is.
func idArguments(_ words: [String]) throws -> [UInt64] {
    try words.map { word in
        if let id = UInt64(word), word.allSatisfy({ $0.isASCII && $0.isNumber }) { return id }
        if word.hasPrefix("-"), let next = word.dropFirst().first, !next.isNumber, next != "." {
            throw ValidationError("unknown option '\(word)'")
        }
        throw ValidationError("id '\(word)' is not an unsigned 64-bit integer")
    }
}
