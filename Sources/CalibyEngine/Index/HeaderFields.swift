/// Page 0 of an index file as read from disk: 8-byte fields, each checked before anything uses it.
/// A value out of range throws `corrupt` naming the file, the field and the value, e.g.
/// "header field nodeCount = 9223372036854775808 exceeds the capacity 1000": a checksum proves
/// only that the page is as written, and a bug or a crafted file can write anything.
struct HeaderFields {
    let page: UnsafeRawPointer
    let path: String
    let names: [String]

    func raw(_ field: Int) -> UInt64 { page.load(fromByteOffset: field * 8, as: UInt64.self) }

    func damage(_ detail: String) -> CalibyError { .corrupt(path: path, detail: detail) }

    /// A field that must hold what the catalog (or the format) says.
    func expect(_ field: Int, equals expected: UInt64, from source: String = "the catalog's") throws {
        let value = raw(field)
        guard value == expected else {
            throw damage("header field \(names[field]) = \(value) differs from \(source) \(expected)")
        }
    }

    /// An unsigned count or position, at most `limit` (`what` names the limit: "the capacity").
    func count(_ field: Int, atMost limit: Int, _ what: String) throws -> Int {
        let value = raw(field)
        guard value <= UInt64(limit) else { throw damage("header field \(names[field]) = \(value) exceeds \(what) \(limit)") }
        return Int(value)
    }

    /// A node number or -1 (none), below `limit` (`what` names the limit: "nodeCount").
    func node(_ field: Int, below limit: Int, _ what: String) throws -> Int {
        let value = Int64(bitPattern: raw(field))
        guard value >= -1 else { throw damage("header field \(names[field]) = \(value) is below -1") }
        guard value < Int64(limit) else {
            throw damage("header field \(names[field]) = \(value) is not below \(what) \(limit)")
        }
        return Int(value)
    }

    /// Two fields that must agree, e.g. an entry point exactly when there are nodes.
    func require(_ consistent: Bool, _ first: Int, _ second: Int, _ rule: String) throws {
        guard consistent else {
            throw damage("header fields \(names[first]) = \(Int64(bitPattern: raw(first))) and "
                         + "\(names[second]) = \(Int64(bitPattern: raw(second))) disagree (\(rule))")
        }
    }
}
