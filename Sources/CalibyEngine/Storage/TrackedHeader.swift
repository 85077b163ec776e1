/// A file's header as an object keeps it in memory between writes of page 0 (an index's, a
/// document store's). Every change through the property marks page 0 behind, so no change can
/// forget to; `takeChanges` hands the writer a snapshot exactly when page 0 needs one. Guarded by
/// its owner's mutex, like the header itself.
@propertyWrapper
struct TrackedHeader<Header> {
    var wrappedValue: Header {
        didSet { pageIsBehind = true }
    }
    private var pageIsBehind = false

    /// A header as read from page 0, or as a create is about to write it.
    init(wrappedValue: Header) {
        self.wrappedValue = wrappedValue
    }

    var projectedValue: TrackedHeader<Header> {
        get { self }
        set { self = newValue }
    }

    /// The header to write to page 0 if it changed since the last call; page 0 counts as current
    /// from here (the caller writes it in the same transaction).
    mutating func takeChanges() -> Header? {
        guard pageIsBehind else { return nil }
        pageIsBehind = false
        return wrappedValue
    }
}
