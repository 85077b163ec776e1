import Foundation
import XCTest

/// Each command's behaviour and each bad input's error, as a user sees them.
final class CommandTests: XCTestCase {
    func testRecoveryListsEveryIndexWithItsParameters() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "a", "--dim", "8", "--max-elements", "100"], in: dir)
        try succeed(["create", "b.v2", "--dim", "3", "--max-elements", "5", "--metric", "cosine", "--M", "8"], in: dir)
        try succeed(["create", "c_3", "--dim", "128", "--max-elements", "1000", "--metric", "ip", "--ef-construction", "50"], in: dir)
        let list = try succeed(["list", "--format", "csv"], in: dir)
        let rows = list.split(separator: "\n").map { $0.split(separator: ",").prefix(6).joined(separator: ",") }
        XCTAssertEqual(rows, ["name,type,dims,metric,vectors,capacity", "a,hnsw,8,l2,0,100", "b.v2,hnsw,3,cosine,0,5",
                              "c_3,hnsw,128,ip,0,1000"])
        let info = try succeed(["info", "b.v2", "--format", "tsv"], in: dir)
        XCTAssertTrue(info.contains("M\t8\n"), info)
        try succeed(["create", "d", "--type", "diskann", "--dim", "128", "--max-elements", "100"], in: dir)
        XCTAssertTrue(try succeed(["info", "d", "--format", "tsv"], in: dir).contains("pq_bytes\t32\n"), "default: a byte per 4 dimensions")
        let json = try succeed(["list", "--format", "json"], in: dir)
        XCTAssertTrue(json.hasPrefix("[\n  {\"name\":\"a\",\"type\":\"hnsw\",\"dims\":8,"), json)
    }

    func testInsertThenSearchRoundTripsIDsInEveryOutputFormat() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "v", "--dim", "3", "--max-elements", "10"], in: dir)
        try succeed(["insert", "v", "-", "--format", "csv", "--id-column", "1"], in: dir,
                    input: "id,x,y,z\n42,0,0,0\n7,1,1,1\n9,5,5,5\n")
        XCTAssertEqual(try succeed(["search", "v", "--vector", "1,1,1.5", "-k", "2", "--format", "tsv"], in: dir),
                       "query\trank\tid\tdistance\n0\t1\t7\t0.25\n0\t2\t42\t4.25\n")
        XCTAssertEqual(try succeed(["search", "v", "--vector", "1 1 1.5", "-k", "1", "--format", "jsonl"], in: dir),
                       "{\"query\":0,\"rank\":1,\"id\":7,\"distance\":0.25}\n")
        XCTAssertEqual(try succeed(["search", "v", "--file", "-", "--input-format", "csv", "-k", "1", "--format", "csv"],
                                   in: dir, input: "0,0,0\n5,5,4\n"),
                       "query,rank,id,distance\n0,1,42,0.0\n1,1,9,1.0\n")
        // Automatic ids continue after the largest so far.
        try succeed(["insert", "v", "-", "--format", "csv"], in: dir, input: "2,2,2\n")
        XCTAssertEqual(try succeed(["search", "v", "--vector", "2,2,2", "-k", "1", "--format", "tsv"], in: dir),
                       "query\trank\tid\tdistance\n0\t1\t43\t0.0\n")
    }

    func testBadNamesAndOptionsAreRefusedAndChangeNothing() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "ok", "--dim", "4", "--max-elements", "10"], in: dir)
        let before = try succeed(["list", "--format", "tsv"], in: dir)
        try expectFailure(["create", "ok", "--dim", "4", "--max-elements", "10"], in: dir, status: 67, mentions: ["already exists"])
        for bad in ["a/b", "..", "x y", String(repeating: "n", count: 65), ""] {
            try expectFailure(["create", bad, "--dim", "4", "--max-elements", "10"], in: dir, status: 64, mentions: ["invalid index name"])
        }
        try expectFailure(["create", "z", "--dim", "0", "--max-elements", "10"], in: dir, status: 64, mentions: ["--dim"])
        try expectFailure(["create", "z", "--dim", "4", "--max-elements", "-1"], in: dir, status: 64, mentions: ["max-elements"])
        try expectFailure(["create", "z", "--dim", "4", "--max-elements", "10", "--M", "1"], in: dir, status: 64, mentions: ["--M"])
        try expectFailure(["create", "z", "--dim", "4", "--max-elements", "10", "--metric", "hamming"], in: dir, status: 64,
                          mentions: ["hamming"])
        try expectFailure(["create", "z", "--type", "diskann", "--dim", "4", "--max-elements", "10", "--pq-bytes", "5"], in: dir,
                          status: 64, mentions: ["--pq-bytes"])
        try expectFailure(["search", "ok", "--vector", "1,2,3,4", "--distances", "approximate"], in: dir, status: 64,
                          mentions: ["approximate"])
        try expectFailure(["list", "--buffer-size", "lots"], in: dir, status: 64, mentions: ["--buffer-size", "lots"])
        try expectFailure(["drop", "missing"], in: dir, status: 66, mentions: ["no index named 'missing'"])
        try expectFailure(["search", "missing", "--vector", "1"], in: dir, status: 66, mentions: ["missing"])
        XCTAssertEqual(try succeed(["list", "--format", "tsv"], in: dir), before)
        let nowhere = NSTemporaryDirectory() + "caliby-none-" + UUID().uuidString
        try expectFailure(["list"], in: nowhere, status: 66, mentions: ["not a Caliby data directory", "caliby init"])
    }

    func testBadInputRecordsAreNamedAndTheIndexIsUnchanged() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "v", "--dim", "3", "--max-elements", "5"], in: dir)
        try succeed(["insert", "v", "-", "--format", "csv"], in: dir, input: "1,2,3\n")
        let good = String(repeating: "1,2,3\n", count: 2)
        let cases: [(String, String, [String])] = [
            ("wrong dimension", good + "1,2\n", ["<stdin>:3", "expected 3 values, found 2"]),
            ("not a number", good + "1,x,3\n", ["<stdin>:3", "'x' is not a number"]),
            ("nan", "1,2,nan\n", ["<stdin>:1", "not finite"]),
            ("infinity", "1,2,inf\n", ["<stdin>:1", "not finite"]),
        ]
        for (what, input, mentions) in cases {
            let result = try CLI.run(["insert", "v", "-", "--format", "csv"], directory: dir, input: input)
            XCTAssertEqual(result.status, 65, "\(what): \(result.stderr)")
            for word in mentions { XCTAssertTrue(result.stderr.contains(word), "\(what): \(result.stderr)") }
        }
        try expectFailure(["insert", "v", "-", "--format", "csv"], in: dir, input: String(repeating: "1,2,3\n", count: 5),
                          status: 68, mentions: ["full"])
        try expectFailure(["insert", "v", "-", "--format", "csv", "--id-column", "1"], in: dir, input: "0,1,1,1\n",
                          status: 67, mentions: ["already has id 0", "--replace"])
        var truncated = fvecs([1, 2, 3, 4, 5, 6], dimensions: 3)
        truncated.removeLast(2)
        let file = try makeTemporaryFile("bad.fvecs", contents: truncated)
        try expectFailure(["insert", "v", file], in: dir, status: 65, mentions: ["bad.fvecs: record 2", "truncated"])
        try expectFailure(["insert", "v", "/nonexistent/x.fvecs"], in: dir, status: 66, mentions: ["/nonexistent/x.fvecs"])
        XCTAssertTrue(try succeed(["list", "--format", "tsv"], in: dir).contains("v\thnsw\t3\tl2\t1\t5"), "still one vector")
        try succeed(["insert", "v", "-", "--format", "csv", "--id-column", "1", "--replace"], in: dir, input: "0,9,9,9\n")
        XCTAssertEqual(try succeed(["search", "v", "--vector", "9,9,9", "-k", "1", "--format", "tsv"], in: dir),
                       "query\trank\tid\tdistance\n0\t1\t0\t0.0\n")
    }

    func testFloat16IndexStoresHalvesAndRefusesWhatTheyCannotHold() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "h", "--dim", "3", "--max-elements", "5", "--precision", "float16"], in: dir)
        XCTAssertTrue(try succeed(["info", "h", "--format", "tsv"], in: dir).contains("precision\tfloat16\n"))
        try succeed(["insert", "h", "-", "--format", "csv"], in: dir, input: "1,2,3\n0.1,0.2,0.3\n")
        try expectFailure(["insert", "h", "-", "--format", "csv"], in: dir, input: "1,2,3\n1,99999,3\n", status: 65,
                          mentions: ["record 2", "99999", "65504"])
        // 0.1 is stored as the nearest half, 0.0999755859375: the distance to itself is tiny, not 0.
        let row = try succeed(["search", "h", "--vector", "0.1,0.2,0.3", "-k", "1", "--format", "tsv"], in: dir)
            .split(separator: "\n")[1].split(separator: "\t")
        XCTAssertEqual(row[2], "1")
        let distance = try XCTUnwrap(Double(row[3]))
        XCTAssertTrue(distance > 0 && distance < 1e-6, "\(distance)")
        try expectFailure(["create", "d", "--type", "diskann", "--dim", "3", "--max-elements", "5", "--precision", "float16"],
                          in: dir, status: 64, mentions: ["--precision float16", "hnsw"])
        try expectFailure(["create", "d", "--dim", "3", "--max-elements", "5", "--precision", "int4"], in: dir, status: 64,
                          mentions: ["int4"])
    }

    func testLabelAndIDFilesFollowTheInputFilesRules() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "d", "--type", "diskann", "--dim", "2", "--max-elements", "10"], in: dir)
        let vectors = try makeTemporaryFile("v.csv", contents: Data("1,2\n3,4\n5,6\n".utf8))
        let labels = try makeTemporaryFile("labels.txt", contents: Data("1;2\n\n7|8\n".utf8))
        try succeed(["insert", "d", vectors, "--labels", labels, "--quiet"], in: dir)
        XCTAssertEqual(try succeed(["search", "d", "--vector", "0,0", "--filter", "8", "--format", "tsv"], in: dir),
                       "query\trank\tid\tdistance\n0\t1\t2\t61.0\n", "only the third vector carries 8")
        let commaLabels = try makeTemporaryFile("comma.txt", contents: Data("1\n2,3\n4\n".utf8))
        try expectFailure(["insert", "d", vectors, "--labels", commaLabels], in: dir, status: 65,
                          mentions: ["comma.txt:2", "'2,3'"])
        let signedIDs = try makeTemporaryFile("ids.txt", contents: Data("20\n+21\n22\n".utf8))
        try expectFailure(["insert", "d", vectors, "--ids", signedIDs], in: dir, status: 65, mentions: ["ids.txt:2", "'+21'"])
        XCTAssertTrue(try succeed(["list", "--format", "tsv"], in: dir).contains("d\tdiskann\t2\tl2\t3\t10"),
                      "the refused inserts added nothing")
    }

    func testOptionsOfTheOtherIndexTypeAreRefusedNotIgnored() throws {
        let dir = try makeDataDirectory()
        try expectFailure(["create", "d", "--type", "diskann", "--dim", "3", "--max-elements", "5", "--M", "8"],
                          in: dir, status: 64, mentions: ["--M", "diskann"])
        try expectFailure(["create", "h", "--dim", "3", "--max-elements", "5", "--pq-bytes", "2"],
                          in: dir, status: 64, mentions: ["--pq-bytes", "hnsw"])
        try expectFailure(["create", "d", "--type", "diskann", "--dim", "3", "--max-elements", "5", "--quantization", "int8"],
                          in: dir, status: 64, mentions: ["--quantization is not an option of diskann indexes"])
        XCTAssertEqual(try succeed(["list", "--names-only"], in: dir), "", "nothing was created")
        try succeed(["create", "h", "--dim", "3", "--max-elements", "5", "--M", "8"], in: dir)
        XCTAssertTrue(try succeed(["info", "h", "--format", "tsv"], in: dir).contains("M\t8\n"))
        try succeed(["insert", "h", "-", "--format", "csv"], in: dir, input: "1,2,3\n")
        // --filter applies to both types: an HNSW index without labels has no vector carrying 7.
        XCTAssertEqual(try succeed(["search", "h", "--vector", "1,2,3", "--filter", "7", "--format", "tsv"], in: dir),
                       "query\trank\tid\tdistance\n")
        try expectFailure(["search", "h", "--vector", "1,2,3", "--L", "50"], in: dir, status: 64,
                          mentions: ["--L is for diskann indexes, and 'h' is hnsw; use --ef"])
        for option in [["--beam-width", "2"], ["--distances", "exact"]] {
            try expectFailure(["search", "h", "--vector", "1,2,3"] + option, in: dir, status: 64,
                              mentions: ["\(option[0]) is for diskann indexes"])
        }
        try succeed(["create", "d", "--type", "diskann", "--dim", "3", "--max-elements", "5"], in: dir)
        try succeed(["insert", "d", "-"], in: dir, input: "1,2,3\n")
        try expectFailure(["search", "d", "--vector", "1,2,3", "--ef", "50"], in: dir, status: 64,
                          mentions: ["--ef is for hnsw indexes, and 'd' is diskann; use --L"])
        XCTAssertEqual(try succeed(["search", "d", "--vector", "1,2,3", "--L", "8", "--beam-width", "2", "--distances", "exact",
                                    "--format", "tsv"], in: dir), "query\trank\tid\tdistance\n0\t1\t0\t0.0\n")
    }

    /// An index searched by int8 codes: the same hits and distances as without codes on a small
    /// set, its parameters shown by info, its file HNSW format 3 (one without codes stays format 1).
    func testInt8QuantizationIsShownAndSearchesGiveTheVectorsDistances() throws {
        let dir = try makeDataDirectory()
        let data = try makeTemporaryFile("v.fvecs", contents: fvecs(testVectors(count: 300, dimensions: 16, seed: 5), dimensions: 16))
        let queries = try makeTemporaryFile("q.fvecs", contents: fvecs(testVectors(count: 5, dimensions: 16, seed: 6), dimensions: 16))
        for (name, quantization) in [("plain", "none"), ("coded", "int8")] {
            try succeed(["create", name, "--dim", "16", "--max-elements", "300", "--quantization", quantization], in: dir)
            try succeed(["insert", name, data, "--quiet", "--threads", "1"], in: dir)
            XCTAssertTrue(try succeed(["info", name, "--format", "tsv"], in: dir).contains("quantization\t\(quantization)\n"))
        }
        func search(_ name: String) throws -> String {
            try succeed(["search", name, "--file", queries, "-k", "5", "--ef", "300", "--format", "tsv"], in: dir)
        }
        XCTAssertEqual(try search("coded"), try search("plain"), "at ef 300 both find the exact neighbours")
        let upgrade = try succeed(["upgrade"], in: dir)
        XCTAssertTrue(upgrade.contains("index_1.dat: HNSW format 1 (current)"), upgrade)
        XCTAssertTrue(upgrade.contains("index_2.dat: HNSW format 3 (current)"), upgrade)
        XCTAssertEqual(try succeed(["check"], in: dir), "plain: ok\ncoded: ok\n")
    }

    func testDamagedPageGivesAClearErrorNotACrash() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "v", "--dim", "8", "--max-elements", "200"], in: dir)
        let data = try makeTemporaryFile("v.fvecs", contents: fvecs(testVectors(count: 200, dimensions: 8, seed: 3), dimensions: 8))
        try succeed(["insert", "v", data, "--quiet"], in: dir)
        let path = dir + "/index_1.dat"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let page = bytes.count / 4096 - 1
        bytes[page * 4096 + 40] ^= 0x04
        try bytes.write(to: URL(fileURLWithPath: path))
        let check = try CLI.run(["check"], directory: dir)
        XCTAssertEqual(check.status, 76, check.stderr)
        XCTAssertTrue(check.stdout.contains("index_1.dat") && check.stdout.contains("page \(page)"), check.stdout)
        let search = try CLI.run(["search", "v", "--file", data, "-k", "3"], directory: dir)
        XCTAssertEqual(search.status, 76, search.stderr)
        XCTAssertTrue(search.stderr.contains("index_1.dat: data is damaged: page \(page): checksum mismatch"), search.stderr)
        // --warmup's preload reads every page but leaves the damage for the search to report.
        let warm = try CLI.run(["search", "v", "--file", data, "-k", "3", "--warmup"], directory: dir)
        XCTAssertEqual(warm.status, 76, warm.stderr)
        XCTAssertTrue(warm.stderr.contains("page \(page): checksum mismatch"), warm.stderr)
    }

    func testWarmupLoadsAnIndexWithUnwrittenRegionsAndChangesNoResult() throws {
        let dir = try makeDataDirectory()
        let d = 16
        let vectors = testVectors(count: 500, dimensions: d, seed: 4)
        let data = try makeTemporaryFile("v.fvecs", contents: fvecs(vectors, dimensions: d))
        // Capacity far beyond the vectors: the file has never-written holes in its reserved regions.
        try succeed(["create", "v", "--dim", "\(d)", "--max-elements", "100000"], in: dir)
        try succeed(["insert", "v", data, "--quiet"], in: dir)
        let queries = try makeTemporaryFile("q.fvecs", contents: fvecs(Array(vectors[0..<(20 * d)]), dimensions: d))
        let cold = try succeed(["search", "v", "--file", queries, "--format", "tsv"], in: dir)
        XCTAssertEqual(try succeed(["search", "v", "--file", queries, "--format", "tsv", "--warmup"], in: dir), cold)
        XCTAssertEqual(try succeed(["search", "v", "--file", queries, "--format", "tsv", "--warmup", "--buffer-size", "64K"],
                                   in: dir), cold)
    }

    func testTinyBufferRoundTripsDataLargerThanIt() throws {
        let dir = try makeDataDirectory()
        let d = 32
        let vectors = testVectors(count: 3000, dimensions: d, seed: 9)
        let data = try makeTemporaryFile("v.fvecs", contents: fvecs(vectors, dimensions: d))
        try succeed(["create", "v", "--dim", "\(d)", "--max-elements", "3000", "--ef-construction", "60"], in: dir)
        try succeed(["insert", "v", data, "--quiet", "--buffer-size", "256K"], in: dir)
        let queries = try makeTemporaryFile("q.fvecs", contents: fvecs(Array(vectors[0..<(20 * d)]), dimensions: d))
        let small = try succeed(["search", "v", "--file", queries, "--format", "tsv", "--buffer-size", "128K"], in: dir)
        let large = try succeed(["search", "v", "--file", queries, "--format", "tsv"], in: dir)
        XCTAssertEqual(small, large)
        let rows = large.split(separator: "\n").dropFirst().map { $0.split(separator: "\t") }
        XCTAssertEqual(rows.count, 20 * 10)
        for q in 0..<20 { XCTAssertEqual(rows[q * 10][2], "\(q)", "each query finds itself first") }
        XCTAssertEqual(try succeed(["check"], in: dir), "v: ok\n")
    }

    /// reorder renumbers the graph: every answer stays the same, for both index types; without a
    /// name it reorders every index.
    func testReorderKeepsEveryAnswerOfEveryIndex() throws {
        let dir = try makeDataDirectory()
        let d = 16
        let vectors = testVectors(count: 2000, dimensions: d, seed: 12)
        let data = try makeTemporaryFile("v.fvecs", contents: fvecs(vectors, dimensions: d))
        // Without int8 codes, whose equal estimates are ranked by node number (ReorderTests).
        try succeed(["create", "h", "--dim", "\(d)", "--max-elements", "3000", "--ef-construction", "60", "--quantization", "none"], in: dir)
        try succeed(["create", "v", "--type", "diskann", "--dim", "\(d)", "--max-elements", "3000", "--R", "24", "--L", "40"], in: dir)
        let queries = try makeTemporaryFile("q.fvecs", contents: fvecs(testVectors(count: 50, dimensions: d, seed: 13), dimensions: d))
        var before: [String] = []
        for (name, list) in [("h", "--ef"), ("v", "--L")] {
            try succeed(["insert", name, data, "--quiet"], in: dir)
            before.append(try succeed(["search", name, "--file", queries, "--format", "tsv", list, "40"], in: dir))
        }
        try succeed(["delete", "v"] + (0..<50).map { String($0 * 7) }, in: dir)
        before[1] = try succeed(["search", "v", "--file", queries, "--format", "tsv", "--L", "40"], in: dir)
        let result = try CLI.run(["reorder"], directory: dir)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "reordered 'h'\nreordered 'v'\n")
        XCTAssertEqual(try succeed(["search", "h", "--file", queries, "--format", "tsv", "--ef", "40"], in: dir), before[0])
        XCTAssertEqual(try succeed(["search", "v", "--file", queries, "--format", "tsv", "--L", "40"], in: dir), before[1])
        XCTAssertEqual(try succeed(["check"], in: dir), "h: ok\nv: ok\n")
        try expectFailure(["reorder", "nosuch"], in: dir, status: 66, mentions: ["nosuch"])
    }

    func testSearchStatsReportPagesRead() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "v", "--dim", "4", "--max-elements", "10"], in: dir)
        try succeed(["insert", "v", "-", "--format", "csv"], in: dir, input: "1,2,3,4\n")
        let result = try CLI.run(["search", "v", "--vector", "1,2,3,4", "--stats"], directory: dir)
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stderr.hasPrefix("read ") && result.stderr.contains(" pages of index files; "), result.stderr)
    }

    func testGroundTruthReportsRecall() throws {
        let dir = try makeDataDirectory()
        let d = 8
        let base = testVectors(count: 500, dimensions: d, seed: 5)
        let baseFile = try makeTemporaryFile("b.fvecs", contents: fvecs(base, dimensions: d))
        let queryFile = try makeTemporaryFile("q.fvecs", contents: fvecs(Array(base[0..<(10 * d)]), dimensions: d))
        var truth = Data()
        for q in 0..<10 {
            for value in [Int32(1), Int32(q)] { withUnsafeBytes(of: value) { truth.append(contentsOf: $0) } }
        }
        let truthFile = try makeTemporaryFile("gt.ivecs", contents: truth)
        try succeed(["create", "v", "--dim", "\(d)", "--max-elements", "500"], in: dir)
        try succeed(["insert", "v", baseFile, "--quiet"], in: dir)
        let out = try succeed(["search", "v", "--file", queryFile, "--groundtruth", truthFile, "-k", "1", "--format", "csv"], in: dir)
        let row = out.split(separator: "\n")[1].split(separator: ",")
        XCTAssertEqual(row[0], "1")
        XCTAssertEqual(row[1], "10")
        XCTAssertEqual(row[2], "1.0")
        // Recall@10 cannot be judged against one true neighbour per query.
        try expectFailure(["search", "v", "--file", queryFile, "--groundtruth", truthFile], in: dir, status: 65,
                          mentions: ["gt.ivecs: record 1", "has 1 neighbours, fewer than -k 10"])
    }

    /// `info --system` needs no data directory; it names the kernels in use, the sets this CPU
    /// supports and the buffer size, and follows CALIBY_KERNELS while refusing what cannot run.
    func testInfoSystemShowsTheKernelsAndBufferSize() throws {
        let nowhere = try makeTemporaryDirectory() + "/none"
        func system(_ environment: [String: String], _ extra: [String] = []) throws -> (properties: [String: String], stderr: String) {
            let result = try CLI.run(["info", "--system", "--format", "json"] + extra, directory: nowhere, environment: environment)
            XCTAssertEqual(result.status, 0, result.stderr)
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
            return (object.mapValues { "\($0)" }, result.stderr)
        }
        let plain = try system([:], ["--buffer-size", "64M"])
        let supported = try XCTUnwrap(plain.properties["cpu_kernels"]).split(separator: " ").map(String.init)
        XCTAssertEqual(supported.first, "portable")
        XCTAssertEqual(plain.properties["kernels"], supported.last, "unforced, the widest set the CPU runs")
        XCTAssertEqual(plain.properties["buffer_size"], "\(64 << 20)")
        XCTAssertNil(plain.properties["kernels_note"])
        XCTAssertEqual(plain.stderr, "")

        let forced = try system(["CALIBY_KERNELS": "portable"])
        XCTAssertEqual(forced.properties["kernels"], "portable")
        XCTAssertNil(forced.properties["kernels_note"])

        let unknown = try system(["CALIBY_KERNELS": "sse9"])
        let note = "CALIBY_KERNELS=sse9 ignored (not one of portable, avx2, avx512); using \(supported.last!)"
        XCTAssertEqual(unknown.properties["kernels"], supported.last)
        XCTAssertEqual(unknown.properties["kernels_note"], note)
        XCTAssertEqual(unknown.stderr, "caliby: warning: \(note)\n")
        if !supported.contains("avx512") {
            let refused = try system(["CALIBY_KERNELS": "avx512"])
            XCTAssertEqual(refused.properties["kernels"], supported.last)
            XCTAssertEqual(refused.properties["kernels_note"], "CALIBY_KERNELS=avx512 ignored (this CPU cannot run them); using \(supported.last!)")
        }

        let table = try CLI.run(["info", "--system", "--format", "tsv"], directory: nowhere)
        XCTAssertTrue(table.stdout.hasPrefix("property\tvalue\nkernels\t\(supported.last!)\n"), table.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: nowhere), "--system opens no directory")

        for (arguments, message) in [(["info", "--system", "a"], "--system shows no index: give 'info NAME' or 'info --system'"),
                                     (["info"], "give an index name, or --system")] {
            let refused = try CLI.run(arguments, directory: nowhere)
            XCTAssertEqual(refused.status, 64, "\(arguments)")
            XCTAssertEqual(refused.stderr, "caliby: error: \(message) (see 'caliby help')\n", "\(arguments)")
        }
    }
}
