// All-reduce, averaging, reduce-scatter and all-gather against closed forms; runs at 1 and N ranks.
import Collective
import TestSupport
import Testing

@Suite(.serialized)
struct AllReduceTests {
    @Test(arguments: [0, 1, 7, 1000, 300_001])
    func sumOfRankPlusOne(count: Int) throws {
        let comm = try TestWorld.communicator()
        let n = comm.worldSize
        var floats = [Float](repeating: Float(comm.rank + 1), count: count)
        var doubles = (0..<count).map { Double(comm.rank + 1) * Double($0) }
        var int32s = [Int32](repeating: Int32(comm.rank + 1), count: count)
        var int64s = [Int64](repeating: Int64(comm.rank + 1) << 33, count: count)
        try comm.allReduce(&floats, .sum)
        try comm.allReduce(&doubles, .sum)
        try comm.allReduce(&int32s, .sum)
        try comm.allReduce(&int64s, .sum)
        let total = n * (n + 1) / 2
        #expect(floats.allSatisfy { $0 == Float(total) })
        #expect(doubles.enumerated().allSatisfy { $0.element == Double(total) * Double($0.offset) })
        #expect(int32s.allSatisfy { $0 == Int32(total) })
        #expect(int64s.allSatisfy { $0 == Int64(total) << 33 })
    }

    @Test func maxAndMin() throws {
        let comm = try TestWorld.communicator()
        let n = comm.worldSize
        var values: [Double] = [Double(comm.rank), -Double(comm.rank), 5]
        var minimums: [Int64] = [Int64(comm.rank), -Int64(comm.rank), 5]
        try comm.allReduce(&values, .max)
        try comm.allReduce(&minimums, .min)
        #expect(values == [Double(n - 1), 0, 5])
        #expect(minimums == [0, -Int64(n - 1), 5])
        #expect(try comm.allReduce(Float(comm.rank), .max) == Float(n - 1))
        #expect(try comm.allReduce(Int32(comm.rank + 3), .min) == 3)
    }

    @Test func averageOfIdenticalInputsIsTheInput() throws {
        let comm = try TestWorld.communicator()
        var values = (0..<4096).map { Float($0) * 0.25 }
        let expected = values
        try values.withUnsafeMutableBufferPointer { try comm.average($0) }
        #expect(values == expected)
        var ranks = [Double(comm.rank)]
        try ranks.withUnsafeMutableBufferPointer { try comm.average($0) }
        #expect(ranks == [Double(comm.worldSize - 1) / 2])
    }

    @Test(arguments: [1, 5, 4096])
    func reduceScatterThenAllGather(sliceCount: Int) throws {
        let comm = try TestWorld.communicator()
        let n = comm.worldSize
        // Element i of every rank's buffer is (rank + 1) * i, so the sum is n(n+1)/2 * i.
        var buffer = (0..<(sliceCount * n)).map { Float((comm.rank + 1) * $0) }
        try buffer.withUnsafeMutableBufferPointer { try comm.reduceScatter($0, .sum) }
        let total = Float(n * (n + 1) / 2)
        let mine = comm.rank * sliceCount..<(comm.rank + 1) * sliceCount
        #expect(mine.allSatisfy { buffer[$0] == total * Float($0) })
        for i in buffer.indices where !mine.contains(i) { buffer[i] = -1 }
        try buffer.withUnsafeMutableBufferPointer { try comm.allGather($0) }
        #expect(buffer.indices.allSatisfy { buffer[$0] == total * Float($0) })
    }

    @Test func unequalSlicesAreRejected() throws {
        let comm = try TestWorld.communicator()
        guard comm.worldSize > 1 else { return }
        var buffer = [Float](repeating: 0, count: comm.worldSize + 1)
        #expect(throws: CollectiveError.self) {
            try buffer.withUnsafeMutableBufferPointer { try comm.reduceScatter($0, .sum) }
        }
    }
}
