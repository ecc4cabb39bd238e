// XXH64 against values from the reference implementation (Python xxhash 3.x, xxh64, seed 0).
import Testing
import Trainer

struct XXHash64Tests {
    @Test func matchesTheReferenceImplementation() {
        #expect(XXHash64.hash([UInt8]()) == 0xef46_db37_51d8_e999)
        #expect(XXHash64.hash(Array("a".utf8)) == 0xd24e_c4f1_a98c_6e5b)
        #expect(XXHash64.hash(Array("abc".utf8)) == 0x44bc_2cf5_ad77_0999)
        let long = (0..<3).flatMap { _ in (0..<256).map { UInt8($0) } } + Array("xyz".utf8)
        #expect(XXHash64.hash(long) == 0xe921_a1b4_5bd7_79f8)
        #expect(XXHash64.hex(0xabc) == "0000000000000abc")
    }
}
