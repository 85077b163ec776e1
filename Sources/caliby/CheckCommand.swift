import ArgumentParser
import CalibyEngine

struct CheckCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify every page checksum and the graph structure of indexes (all by default).",
        discussion: "Prints 'NAME: ok' or one line per problem; exits 76 when anything is damaged.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index names (default: all).", completion: .indexName)
    var names: [String] = []

    var access: AccessMode { .readOnly }

    func execute(in session: Session) throws {
        let database = session.database
        let infos = try names.isEmpty ? database.listIndexes() : names.map { try database.info(named: $0) }
        var damaged: [String] = []
        for info in infos {
            let problems: [String]
            do {
                problems = try database.index(named: info.name).checkIntegrity()
            } catch let error as CalibyError where error.category == .corrupt {
                problems = [error.description]
            }
            if problems.isEmpty {
                Terminal.write("\(info.name): ok\n")
            } else {
                for problem in problems { Terminal.write("\(info.name): \(problem)\n") }
                damaged.append(info.name)
            }
        }
        if !damaged.isEmpty {
            throw CalibyError.corrupt(path: database.directory, detail: "damaged: \(damaged.joined(separator: ", "))")
        }
    }
}
