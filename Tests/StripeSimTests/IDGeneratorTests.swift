import Testing

@testable import StripeSim

@Suite struct IDGeneratorTests {
    /// Random ids come from the kernel's CSPRNG through a 512-draw pool: across several refills they are
    /// well-formed base62, the length asked for, and never repeat.
    @Test func randomIDsAreBase62AndDistinctAcrossPoolRefills() {
        let ids = IDGenerator.random
        let base62 = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var seen = Set<String>()
        for _ in 0..<2_000 {  // three draws each: about twelve refills
            let id = ids.make("cus", length: 24)
            #expect(id.hasPrefix("cus_") && id.count == 28)
            #expect(id.dropFirst(4).allSatisfy(base62.contains))
            seen.insert(id)
        }
        #expect(seen.count == 2_000)
        // Every character position takes many values (a stuck pool would not).
        let firsts = Set((0..<200).map { _ in ids.token(1) })
        #expect(firsts.count > 40)
    }

    @Test func seededIDsRepeatAndIncrementingIDsCount() {
        let a = IDGenerator.seeded(7)
        let b = IDGenerator.seeded(7)
        #expect((0..<5).map { _ in a.make("evt") } == (0..<5).map { _ in b.make("evt") })
        let counter = IDGenerator.incrementing()
        #expect(counter.make("cus", length: 6) == "cus_000001" && counter.make("cus", length: 6) == "cus_000002")
    }
}
