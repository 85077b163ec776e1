import ArgumentParser

/// The exit statuses as data, so scripts can map a status to its meaning and the man pages'
/// EXIT STATUS section is generated from `ExitStatus` (man/generate.sh) rather than copied.
struct ExitCodesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exit-codes",
        abstract: "List the exit statuses of caliby commands and what each means.")

    @Option(name: .long, help: "Output format (default: table on a terminal, tsv otherwise).")
    var format: OutputFormat?

    func run() {
        var table = Table(columns: ["status", "meaning"])
        table.rows = ExitStatus.allCases.map { [.int(Int($0.rawValue)), .text($0.meaning)] }
        Terminal.write(table.render(Terminal.format(format)))
    }
}
