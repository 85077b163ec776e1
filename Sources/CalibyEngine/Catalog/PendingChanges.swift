/// An open object that holds changes in memory between operations of a transaction, or leaves
/// work for its end; the database has it write them before every commit
/// (`Database.writePendingChanges`). The text index keeps its new documents' postings to write as
/// one segment; a DiskANN index prunes back the lists its inserts took past R.
protocol PendingChanges: AnyObject {
    func writePendingChanges() throws
}
