import Atomics

/// Process-wide totals of the graph searches' work (a build's searches included), for
/// `Caliby.counters()`. Search loops count in locals and their scratch adds them here once per
/// call: an atomic per page touched would cost more than the distance it is for.
package enum WorkCounters {
    /// Pages a graph search read a node record, link list or code from, resident or not.
    package static let pageAccesses = ManagedAtomic<Int>(0)
    /// Distances a graph search computed (exact, or from PQ codes), not the neighbour selection's.
    package static let distances = ManagedAtomic<Int>(0)
}
