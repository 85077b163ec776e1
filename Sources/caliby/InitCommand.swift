import ArgumentParser
import CalibyEngine

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a data directory (lock file and empty catalog); harmless on an existing one.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let directory = global.directory
        let created = try Caliby.initialize(directory, waitSeconds: global.waitSeconds())
        Terminal.write(created ? "Initialized empty Caliby data directory in \(directory)\n"
                               : "Caliby data directory already exists in \(directory)\n")
    }
}
