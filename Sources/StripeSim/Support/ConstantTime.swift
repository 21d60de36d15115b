/// Whether two strings are byte-for-byte equal, in time that depends only on their length (signature and token
/// checks: an early exit would tell a guesser how many leading bytes were right).
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in x.indices { diff |= x[i] ^ y[i] }
    return diff == 0
}
