// Broadcast from every root, barrier, and gather of blobs of different sizes.
import Collective
import TestSupport
import Testing

@Suite(.serialized)
struct BroadcastTests {
    @Test func broadcastFromEveryRoot() throws {
        let comm = try TestWorld.communicator()
        for root in 0..<comm.worldSize {
            var buffer = [Double](repeating: Double(comm.rank), count: 1000)
            try buffer.withUnsafeMutableBufferPointer { try comm.broadcast($0, root: root) }
            #expect(buffer.allSatisfy { $0 == Double(root) })
            // Variable-length: only the root's length matters.
            let mine = [Int32](repeating: Int32(comm.rank), count: comm.rank + 2)
            let received = try comm.broadcast(mine, root: root)
            #expect(received == [Int32](repeating: Int32(root), count: root + 2))
        }
        try comm.barrier()
    }

    @Test func gatherBlobsOfDifferentSizes() throws {
        let comm = try TestWorld.communicator()
        for root in 0..<comm.worldSize {
            // Rank r sends r * 3 bytes of value r (rank 0 sends an empty blob).
            let blob = [UInt8](repeating: UInt8(comm.rank), count: comm.rank * 3)
            let gathered = try comm.gather(blob, root: root)
            if comm.rank == root {
                #expect(gathered.count == comm.worldSize)
                for (r, received) in gathered.enumerated() {
                    #expect(received == [UInt8](repeating: UInt8(r), count: r * 3))
                }
            } else {
                #expect(gathered.isEmpty)
            }
        }
    }

    @Test(arguments: [0, 3, 1_500_000])
    func slicesGatherToTheRootAndScatterBack(sliceCount: Int) throws {
        let comm = try TestWorld.communicator()
        let n = comm.worldSize
        for root in Set([0, n - 1]).sorted() {  // sorted: Set order differs between processes
            // Rank r's slice holds r * sliceCount + i: the gathered buffer is 0, 1, 2, ...
            let slice = (0..<sliceCount).map { Float(comm.rank * sliceCount + $0) }
            var full = [Float](repeating: -1, count: comm.rank == root ? n * sliceCount : 0)
            try slice.withUnsafeBufferPointer { mine in
                try full.withUnsafeMutableBufferPointer {
                    try comm.gatherSlices(mine, into: comm.rank == root ? $0 : nil, root: root)
                }
            }
            if comm.rank == root { #expect(full.enumerated().allSatisfy { Float($0.offset) == $0.element }) }
            var back = [Float](repeating: -1, count: sliceCount)
            try full.withUnsafeBufferPointer { complete in
                try back.withUnsafeMutableBufferPointer {
                    try comm.scatterSlices(comm.rank == root ? complete : nil, into: $0, root: root)
                }
            }
            #expect(back == slice)
        }
    }

    @Test func chunkingSplitsLargeCounts() {
        // Exercised directly because a > 2^31-element buffer does not fit in a test.
        let pieces = Communicator.chunkPlan(count: 10, limit: 4)
        #expect(pieces.map(\.start) == [0, 4, 8])
        #expect(pieces.map(\.count) == [4, 4, 2])
        #expect(Communicator.chunkPlan(count: 0, limit: 4).isEmpty)
    }
}
