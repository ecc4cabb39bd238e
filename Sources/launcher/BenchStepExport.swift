// `bench --export-step DIR`: the initial parameters, rank 0's batch and that batch's loss and
// gradient norm, so that another implementation (deploy/bench/pytorch_ddp_small.py) can show
// it runs the same model on the same data before its speed is compared with ours.
import Foundation
import Shards
import Trainer

enum BenchStepExport {
    /// Writes `model.safetensors` (Flax names), `batch.safetensors` (I32 tensors) and `step.json`.
    static func write(
        to directory: URL, model: DalleBart, parameters: FlatBuffer, gradients: FlatBuffer, batch: Batch,
        loss: Float
    ) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try model.layout.write(parameters, to: directory.appendingPathComponent("model.safetensors"))
        let (rows, S, T) = (batch.size, batch.textLength, batch.imageLength)
        let tensors: [(name: String, shape: [Int], values: [Int32])] = [
            ("input_ids", [rows, S], batch.inputIDs), ("attention_mask", [rows, S], batch.attentionMask),
            ("decoder_input_ids", [rows, T], batch.decoderInputIDs), ("labels", [rows, T], batch.labels),
        ]
        var data = SafeTensorsWriter.header(for: tensors.map { ($0.name, "I32", $0.shape) }).bytes
        for tensor in tensors { tensor.values.withUnsafeBytes { data.append(contentsOf: $0) } }
        try data.write(to: directory.appendingPathComponent("batch.safetensors"), options: .atomic)
        let norm = gradients.buffer.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let summary: [String: Any] = [
            "parameters": model.layout.count, "loss": Double(loss), "gradient_norm": norm,
            "dropout": model.config.dropout,
        ]
        let json = try JSONSerialization.data(
            withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: directory.appendingPathComponent("step.json"), options: .atomic)
    }
}
