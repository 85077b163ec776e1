import ArgumentParser
import CalibyEngine

/// `stats`' formats: the tables' and Prometheus' text exposition format.
enum StatsFormat: String, CaseIterable, ExpressibleByArgument {
    case table, tsv, csv, json, jsonl, prometheus
}

struct StatsCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show how each index's slots are used and where its bytes go.",
        discussion: """
            One row per index: live vectors, deleted ones whose slots are not free yet (DiskANN frees \
            them when it consolidates; HNSW gives them to new vectors once its never-used slots run \
            out), free slots (freed by consolidate, taken by the next inserts), capacity, fill (live / capacity), \
            the bytes of each part of the data (graph: links and node state; vectors; id map; PQ codes; \
            DiskANN's label table; documents: the documents file), and the files' bytes on disk.

            --format prometheus prints the same as gauges in Prometheus' text format, for a scraper \
            (node_exporter's textfile collector, or a script behind an HTTP endpoint). What a search or \
            an insert cost (pages read, pool hits, evictions, distances, time per phase) is their \
            --stats option's.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Indexes to show (default: all).", completion: .indexName)
    var names: [String] = []

    @Option(name: .long, help: "Output format (default: table on a terminal, tsv otherwise); prometheus is the text exposition format.")
    var format: StatsFormat?

    var access: AccessMode { .readOnly }

    /// Every part name in the order the columns show them; an index without a part shows 0.
    static let partNames = ["graph", "vectors", "id_map", "codes", "labels", "documents"]

    func execute(in session: Session) throws {
        let database = session.database
        let chosen = names.isEmpty ? database.listIndexes().map(\.name) : names
        let statistics = try chosen.map { try database.statistics(named: $0) }
        if format == .prometheus { return Terminal.write(prometheus(statistics)) }
        var table = Table(columns: ["name", "type", "vectors", "deleted", "free_slots", "capacity", "fill"]
                          + StatsCommand.partNames.map { $0 + "_bytes" } + ["file_bytes"])
        for s in statistics {
            table.rows.append([.text(s.name), .text(s.type.rawValue), .int(s.live), .int(s.deleted), .int(s.freeSlots),
                               .int(s.capacity), .real(s.fillFactor)]
                              + StatsCommand.partNames.map { .bytes(s.bytes(of: $0)) } + [.bytes(s.fileBytes)])
        }
        Terminal.write(table.render(format.flatMap { OutputFormat(rawValue: $0.rawValue) } ?? Terminal.format(nil)))
    }

    private func prometheus(_ statistics: [IndexStatistics]) -> String {
        var out = Prometheus()
        func gauge(_ name: String, _ help: String, _ value: (IndexStatistics) -> Double) {
            out.metric(name, "gauge", help: help,
                       samples: statistics.map { ([("index", $0.name), ("type", $0.type.rawValue)], value($0)) })
        }
        gauge("index_vectors", "Live vectors: what a search can return.") { Double($0.live) }
        gauge("index_deleted", "Deleted vectors whose slots are not free yet.") { Double($0.deleted) }
        gauge("index_free_slots", "Slots freed and waiting for the next inserts.") { Double($0.freeSlots) }
        gauge("index_capacity", "Slots the index was laid out for (max elements).") { Double($0.capacity) }
        gauge("index_fill_ratio", "Live vectors as a fraction of capacity.") { $0.fillFactor }
        out.metric("index_part_bytes", "gauge", help: "Bytes each part of an index's data takes.",
                   samples: statistics.flatMap { s in
                       StatsCommand.partNames.map { ([("index", s.name), ("type", s.type.rawValue), ("part", $0)], Double(s.bytes(of: $0))) }
                   })
        gauge("index_file_bytes", "Bytes the index's files take on disk.") { Double($0.fileBytes) }
        return out.text
    }
}

extension IndexStatistics {
    func bytes(of part: String) -> Int { parts.first { $0.name == part }?.bytes ?? 0 }
}
