import Foundation
import XCTest

/// Running things other than one `caliby` command to completion: scripts and tools (the examples,
/// the generators, tmux), and a `caliby` that keeps running while the test talks to it.
enum Tools {
    /// The checkout: this file is Tests/CalibyCLITests/ProcessSupport.swift.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// SwiftPM's scratch directory the tests were built in (`--scratch-path`, default .build): the
    /// nearest ancestor of the binary that holds workspace-state.json.
    static let scratchPath: String? = {
        var url = URL(fileURLWithPath: CLI.binary).resolvingSymlinksInPath().deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("workspace-state.json").path) { return url.path }
            url.deleteLastPathComponent()
        }
        return nil
    }()

    /// PATH with the built `caliby` first, as an installed one would be.
    static var pathWithCaliby: String {
        URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().path + ":"
            + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    }

    /// The full path of a program on PATH, or nil.
    static func find(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Runs `executable` to completion, or stops it (SIGTERM) after `timeout` seconds so that a hang
    /// fails the test instead of the whole run. Output goes through files, so neither stream can fill
    /// a pipe and stall the child while the other is being read.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    timeout: TimeInterval = 600) throws -> CLIResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        return try run(process, timeout: timeout)
    }

    /// Runs a configured process to completion as above; `input`, if any, is its standard input
    /// (else /dev/null).
    static func run(_ process: Process, input: String? = nil, timeout: TimeInterval = 600) throws -> CLIResult {
        let scratch = NSTemporaryDirectory() + "caliby-run-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        _ = FileManager.default.createFile(atPath: scratch + "/in", contents: Data((input ?? "").utf8))
        _ = FileManager.default.createFile(atPath: scratch + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: scratch + "/err", contents: nil)
        let handles = [input == nil ? nil : try FileHandle(forReadingFrom: URL(fileURLWithPath: scratch + "/in")),
                       try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + "/out")),
                       try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + "/err"))]
        // Closed here, not when the Process goes: a test run starts hundreds of processes, and
        // descriptors past 1024 crashed Foundation's Process.run (SIGSEGV in its memcpy).
        defer { for handle in handles { try? handle?.close() } }
        process.standardInput = handles[0] ?? FileHandle.nullDevice
        process.standardOutput = handles[1]
        process.standardError = handles[2]
        try process.run()
        // Weak: a strong capture kept every Process, with its handles, alive for `timeout`.
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [weak process] in
            if let process, process.isRunning { process.terminate() }
        }
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus,
                         stdout: try String(contentsOfFile: scratch + "/out", encoding: .utf8),
                         stderr: try String(contentsOfFile: scratch + "/err", encoding: .utf8))
    }
}

/// A started process the test writes lines to and whose output it watches while it runs.
final class RunningProcess {
    let process: Process
    private let input = Pipe()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private let drained = DispatchGroup()

    /// `process` is configured but not started (CLI.start).
    init(_ process: Process) throws {
        self.process = process
        let stdout = Pipe(), stderr = Pipe()
        process.standardInput = input
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        collect(stdout) { self.out.append($0) }
        collect(stderr) { self.err.append($0) }
    }

    private func collect(_ pipe: Pipe, into append: @escaping (Data) -> Void) {
        drained.enter()
        Thread.detachNewThread { [lock, drained] in
            while true {
                let data = pipe.fileHandleForReading.availableData
                if data.isEmpty { break }
                lock.withLock { append(data) }
            }
            drained.leave()
        }
    }

    var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    func closeInput() throws {
        try input.fileHandleForWriting.close()
    }

    /// Polls until standard output contains `text`.
    func waitForOutput(_ text: String, timeout: TimeInterval = 20) -> Bool {
        poll(timeout: timeout, every: 0.05) { stdout.contains(text) }
    }

    /// Waits for the exit and all output; stops the process (SIGTERM) after `timeout` seconds so
    /// that a hang fails the test instead of the whole run.
    func finish(timeout: TimeInterval = 120) -> CLIResult {
        let process = self.process
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [weak process] in
            if let process, process.isRunning { process.terminate() }
        }
        process.waitUntilExit()
        drained.wait()
        return CLIResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}

/// Checks `condition` every `interval` seconds until it holds (true) or `timeout` passes (false).
func poll(timeout: TimeInterval, every interval: TimeInterval, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: interval)
    }
    return false
}
