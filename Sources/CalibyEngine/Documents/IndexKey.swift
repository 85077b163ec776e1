/// A field value as a fixed-size key whose bytes compare (memcmp) in the value's order, so a B+tree
/// page holds fixed-size entries and compares them without knowing the field's type. One tree holds
/// the keys of one field type, so keys of different types need not interleave sensibly.
///
/// The 24 bytes, as stored on a page (big-endian, so byte order is memcmp order):
///
///     int     bytes 0..<8: the value with its sign bit flipped (Int64.min → 00…, Int64.max → FF…); rest 0
///     float   bytes 0..<8: the IEEE bits, all flipped for a negative value and only the sign bit for
///             a positive one (the total order: -inf < … < -0 < 0 < … < inf); -0.0 is stored as 0.0
///             because the two are equal as values; rest 0. NaN has no place in the order (and cannot
///             be stored in a field), so it is a precondition failure.
///     bool    byte 7: 0 or 1; rest 0
///     string  bytes 0..<23: the UTF-8 bytes, zero-padded; byte 23: the length (0...23), or
///             `truncatedMarker` when the string is longer and only its first 23 bytes are kept.
///
/// Strings: UTF-8 byte order is code point order. Zero padding alone would make "a" and "a\0" the
/// same key (strings may contain NUL), so the length byte breaks the tie: equal padded bytes mean
/// one string is the other plus trailing NULs, and the shorter sorts first. A truncated string's
/// marker sorts after every length, so it follows each exact string it starts with; two long strings
/// with the same 23-byte prefix share one key. The encoding is therefore monotone (a < b implies
/// key(a) <= key(b)) and strict among exact keys: a range scan over truncated keys returns a superset
/// of the matches, which the caller re-checks against the documents (`isExact` says when).
struct IndexKey: Comparable, Hashable, CustomStringConvertible {
    static let byteCount = 24
    /// String bytes kept in a key; the last byte holds the length.
    static let stringBytes = byteCount - 1
    static let truncatedMarker: UInt8 = 0xFF

    /// The key's bytes as three big-endian words: comparing the words in order is comparing bytes.
    private(set) var w0: UInt64
    private(set) var w1: UInt64
    private(set) var w2: UInt64

    private init(_ w0: UInt64, _ w1: UInt64, _ w2: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
    }

    static let min = IndexKey(0, 0, 0)
    static let max = IndexKey(.max, .max, .max)

    init(_ value: FieldValue) {
        switch value {
        case .int(let v):
            self.init(UInt64(bitPattern: v) ^ (1 << 63), 0, 0)
        case .float(let x):
            precondition(!x.isNaN, "NaN has no place in a key's order")
            let bits = (x == 0 ? 0.0 : x).bitPattern
            self.init(bits >> 63 == 1 ? ~bits : bits | (1 << 63), 0, 0)
        case .bool(let b):
            self.init(b ? 1 : 0, 0, 0)
        case .string(let s):
            var bytes = [UInt8](repeating: 0, count: IndexKey.byteCount)
            let utf8 = s.utf8
            let kept = Swift.min(utf8.count, IndexKey.stringBytes)
            for (i, byte) in utf8.prefix(kept).enumerated() { bytes[i] = byte }
            bytes[IndexKey.stringBytes] = utf8.count > kept ? IndexKey.truncatedMarker : UInt8(kept)
            self = bytes.withUnsafeBytes { IndexKey(loadingFrom: $0.baseAddress!) }
        case .intArray, .stringArray:
            preconditionFailure("an array's elements are indexed one by one, not the array")
        }
    }

    /// False for a string cut to fit: equal keys may then stand for different strings.
    var isExact: Bool { UInt8(truncatingIfNeeded: w2) != IndexKey.truncatedMarker }

    /// Reads the 24 bytes at `address` (any alignment), as `store` wrote them.
    init(loadingFrom address: UnsafeRawPointer) {
        self.init(UInt64(bigEndian: address.loadUnaligned(as: UInt64.self)),
                  UInt64(bigEndian: address.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                  UInt64(bigEndian: address.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
    }

    func store(to address: UnsafeMutableRawPointer) {
        address.storeBytes(of: w0.bigEndian, as: UInt64.self)
        address.storeBytes(of: w1.bigEndian, toByteOffset: 8, as: UInt64.self)
        address.storeBytes(of: w2.bigEndian, toByteOffset: 16, as: UInt64.self)
    }

    static func < (a: IndexKey, b: IndexKey) -> Bool {
        if a.w0 != b.w0 { return a.w0 < b.w0 }
        if a.w1 != b.w1 { return a.w1 < b.w1 }
        return a.w2 < b.w2
    }

    /// Hex, for `check`'s messages.
    var description: String {
        [w0, w1, w2].map { word in
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
