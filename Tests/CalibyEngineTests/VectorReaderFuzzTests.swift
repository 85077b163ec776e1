import Dispatch
import Foundation
import XCTest
@testable import CalibyEngine

/// Random and adversarial input in every format (FuzzInputs), read in-process. Each read must end
/// in records that keep the reader's promises or in a bad-input CalibyError whose message is one
/// line naming the file: never a crash, a hang, another kind of error, a silently skipped line or,
/// for an intact well-formed file, a value different from what was written.
///
/// The seed is fixed, so a failure reproduces; the failing input is kept in the temporary directory
/// and named in the failure. A few seconds by default; for a longer hunt set the number of inputs,
/// and optionally another seed:
///
///     CALIBY_FUZZ_ITERATIONS=200000 CALIBY_FUZZ_SEED=7 \
///         swift test -c release -Xswiftc -enable-testing --filter VectorReaderFuzzTests
final class VectorReaderFuzzTests: ReaderTestCase {
    private static let environment = ProcessInfo.processInfo.environment
    private static let iterations = environment["CALIBY_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 2000
    private static let seed = environment["CALIBY_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x0CA1_1B7F
    /// Far above any legitimate run (the largest inputs are a few megabytes), far below a CI timeout.
    private static let hangSeconds = 30.0

    private enum Outcome {
        case records(FuzzRecords)
        case rows([[Int32]])
        case failed(Error)
    }

    private final class Box: @unchecked Sendable { var outcome: Outcome? }

    func testEveryFormatReadsOrFailsCleanly() throws {
        var inputs = FuzzInputs(seed: Self.seed)
        var outcomes: [String: Int] = [:]
        for iteration in 0..<Self.iterations {
            let c = inputs.next()
            let path = try write("input.\(c.fileExtension)", c.bytes)
            let box = Box()
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                box.outcome = Self.read(c, path)
                done.signal()
            }
            let context = "iteration \(iteration) of seed \(Self.seed) (\(c.summary))"
            guard done.wait(timeout: .now() + Self.hangSeconds) == .success else {
                return XCTFail("no result after \(Self.hangSeconds) s: \(context), input kept at \(keep(c))")
            }
            let problems = check(box.outcome!, c, path)
            outcomes[problems.isEmpty ? Self.label(box.outcome!) : "broken", default: 0] += 1
            guard problems.isEmpty else {
                return XCTFail("\(context): \(problems.joined(separator: "; ")); input kept at \(keep(c))")
            }
        }
        // The generator must reach both ends, or the test proves little.
        XCTAssertGreaterThan(outcomes["records", default: 0], Self.iterations / 10, "\(outcomes)")
        XCTAssertGreaterThan(outcomes["error", default: 0], Self.iterations / 10, "\(outcomes)")
    }

    private static func label(_ outcome: Outcome) -> String {
        if case .failed = outcome { return "error" }
        return "records"
    }

    private static func read(_ c: FuzzCase, _ path: String) -> Outcome {
        do {
            guard case .vectors = c.kind else { return .rows(try readIvecs(path: path)) }
            let reader = try VectorReader(path: path, options: c.options, bufferCapacity: c.bufferCapacity)
            var records = FuzzRecords()
            var batch = VectorBatch(dimensions: 0)
            while try reader.next(into: &batch, maxRecords: c.maxRecords) {
                guard batch.firstRecordNumber == records.count + 1, batch.count <= c.maxRecords,
                      batch.vectors.count == batch.count * batch.dimensions, batch.labels.count == batch.count,
                      records.dimensions == nil || records.dimensions == batch.dimensions,
                      batch.documents.count == (c.options.schema.isEmpty ? 0 : batch.count) else {
                    return .records(FuzzRecords(dimensions: -1))  // an inconsistent batch: check() reports it
                }
                records.dimensions = batch.dimensions
                records.bits += batch.vectors.map(\.bitPattern)
                records.ids += batch.ids
                records.labels += batch.labels
                records.documents += batch.documents
            }
            return .records(records)
        } catch {
            return .failed(error)
        }
    }

    /// What is wrong with `outcome`, if anything.
    private func check(_ outcome: Outcome, _ c: FuzzCase, _ path: String) -> [String] {
        var problems: [String] = []
        switch outcome {
        case .failed(let error):
            guard let error = error as? CalibyError, case .badInput = error else { return ["threw \(error)"] }
            let message = error.description
            if !message.hasPrefix(path + ":") { problems.append("error does not name the file: \(message)") }
            let breaks: [Unicode.GeneralCategory] = [.control, .lineSeparator, .paragraphSeparator]
            if message.unicodeScalars.contains(where: { breaks.contains($0.properties.generalCategory) }) {
                problems.append("error is not one clean line: \(message.debugDescription)")
            }
            if message.count > 400 { problems.append("error of \(message.count) characters") }
            if c.expected != nil || c.expectedRows != nil { problems.append("an intact well-formed input failed: \(message)") }
        case .rows(let rows):
            if let expected = c.expectedRows, rows != expected { problems.append("read \(rows), wrote \(expected)") }
        case .records(let records):
            if records.dimensions == -1 { return ["a batch broke its invariants"] }
            if let dimensions = records.dimensions, !(1...65536).contains(dimensions) || records.bits.count != records.count * dimensions {
                problems.append("\(records.count) records of dimension \(dimensions) hold \(records.bits.count) values")
            }
            if let wanted = c.options.dimensions, records.count > 0, records.dimensions != wanted {
                problems.append("dimension \(records.dimensions!) instead of the required \(wanted)")
            }
            if records.bits.contains(where: { !Float(bitPattern: $0).isFinite }) { problems.append("a value is not finite") }
            // A quoted cell of a record with fields may continue over lines.
            if case .vectors(let format) = c.kind, format == .csv || format == .tsv, c.options.schema.isEmpty {
                problems += skippedLines(records.count, c)
            }
            if let expected = c.expected, records.count > 0 || expected.count > 0, records != expected {
                problems.append("read \(records.count) records unlike the \(expected.count) written")
            }
        }
        return problems
    }

    /// Issue 10: a CSV/TSV line may be skipped only as the header the options allow.
    private func skippedLines(_ records: Int, _ c: FuzzCase) -> [String] {
        var lines = c.bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        if lines.last?.isEmpty == true { lines.removeLast() }
        if lines.first?.starts(with: [0xEF, 0xBB, 0xBF]) == true { lines[0].removeFirst(3) }
        let nonBlank = lines.filter { line in
            let content = line.last == UInt8(ascii: "\r") ? line.dropLast() : line[...]
            return content.contains { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        }.count
        let allowed: ClosedRange<Int>
        switch c.options.header {
        case .absent: allowed = nonBlank...nonBlank
        case .present: allowed = max(0, nonBlank - 1)...max(0, nonBlank - 1)
        case .auto: allowed = max(0, nonBlank - 1)...nonBlank
        }
        return allowed.contains(records) ? [] : ["\(records) records from \(nonBlank) non-blank lines with header \(c.options.header)"]
    }

    /// Copies a failing input out of the test's directory, which is removed.
    private func keep(_ c: FuzzCase) -> String {
        let path = NSTemporaryDirectory() + "caliby-fuzz-failure-\(UUID().uuidString).\(c.fileExtension)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(c.bytes))
        return path
    }
}
