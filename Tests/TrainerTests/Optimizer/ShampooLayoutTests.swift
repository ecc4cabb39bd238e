// Shampoo's per-tensor plan (merged shapes, blocks, statistic sizes, skipped tensors, padded sizes
// per instance) against trajectory.json → optimizer.per_tensor_layout and state_size.
import Foundation
import TestSupport
import Testing
import Trainer

struct ShampooLayoutTests {
    @Test(arguments: [
        ("tiny-A-shampoo", 64, 4096), ("tiny-A-shampoo-adagrad-nesterov", 48, 256),
    ])
    func matchesTheReferenceLayout(folder: String, blockSize: Int, skipAbove: Int) throws {
        let directory = Fixture.directory("trajectory/\(folder)")
        let json = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: directory.appendingPathComponent("trajectory.json")))
                as? [String: Any])
        let optimizer = try #require(json["optimizer"] as? [String: Any])
        let reference = try #require(optimizer["per_tensor_layout"] as? [String: [String: Any]])
        let config = try DalleBartConfig.decode(
            json: JSONSerialization.data(withJSONObject: json["resolved_config"] as Any), source: folder)
        var settings = ShampooHyperparameters()
        settings.blockSize = blockSize
        settings.skipPreconditioningDimSizeGT = skipAbove
        let layout = ShampooLayout(layout: ParameterLayout(config: config), hyperparameters: settings)
        #expect(layout.tensors.count == reference.count)
        for (index, tensor) in layout.tensors.enumerated() {
            let expected = try #require(reference[tensor.entry.name], "\(tensor.entry.name)")
            #expect(tensor.mergedShape == expected["merged_shape"] as? [Int], "\(tensor.entry.name)")
            #expect(tensor.isSkipped == expected["skipped"] as? Bool, "\(tensor.entry.name)")
            let sizes = layout.statistics.filter { $0.tensor == index }.map(\.size)
            #expect(sizes.count == expected["n_statistics"] as? Int, "\(tensor.entry.name)")
            #expect(Set(sizes) == Set(expected["statistic_sizes"] as? [Int] ?? []), "\(tensor.entry.name)")
        }
        let groups = try #require(
            (optimizer["state_size"] as? [String: Any])?["groups"] as? [String: [String: Int]])
        for (group, expected) in groups {
            let statistics = layout.statistics.filter { layout.tensors[$0.tensor].group == group }
            #expect(statistics.count == expected["n_statistics"], "\(group)")
            #expect(statistics.allSatisfy { $0.paddedSize == expected["max_statistic_size"] }, "\(group)")
        }
    }
}
