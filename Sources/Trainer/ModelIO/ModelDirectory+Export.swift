// Writing a dalle-mini model directory: flax_model.msgpack exactly as flax serializes the
// parameter tree (sorted keys, smallest framing; byte-identical for the same float32 weights),
// config.json as save_pretrained writes it, and the tokenizer files. Each file is written under
// a temporary name and renamed when complete; config.json comes last.
import Foundation

extension ModelDirectory {
    /// Writes `parameters` as `directory/flax_model.msgpack` in `layout` and `dtype`
    /// (float32, float16 or bfloat16), streaming from the buffer. Returns the file's size.
    @discardableResult
    public static func writeWeights(
        _ parameters: FlatBuffer, layout: ParameterLayout, to directory: URL, flaxLayout: FlaxLayerLayout,
        dtype: FlaxDType = .float32, sync: Bool = true
    ) throws -> Int {
        precondition(
            parameters.count == layout.count, "buffer of \(parameters.count) for a layout of \(layout.count)")
        guard [.float32, .float16, .bfloat16].contains(dtype) else {
            throw ModelIOError(
                file: directory.appendingPathComponent(weightsFile).path,
                "cannot write dtype \(dtype.rawValue); use float32, float16 or bfloat16")
        }
        let output = try StagedFile(url: directory.appendingPathComponent(weightsFile))
        let tensors = layout.flaxTensors(flaxLayout)
        var scratch = [UInt16](repeating: 0, count: dtype == .float32 ? 0 : 1 << 20)
        var open: [String] = []
        // Map headers are emitted when a path first enters a subtree; entry counts come from the
        // sorted tensor list.
        for (index, tensor) in tensors.enumerated() {
            let common = zip(open, tensor.path).prefix { $0 == $1 }.count
            open.removeLast(open.count - common)
            var header = MsgPackWriter()
            if index == 0 { header.map(count: childCount(tensors, prefix: [])) }
            for depth in common..<tensor.path.count {
                header.string(tensor.path[depth])
                if depth < tensor.path.count - 1 {
                    header.map(count: childCount(tensors, prefix: Array(tensor.path[...depth])))
                    open.append(tensor.path[depth])
                }
            }
            header.ndarrayHeader(
                shape: tensor.shape, dtype: dtype, dataByteCount: tensor.count * dtype.byteCount)
            try output.append(header.bytes)
            for slice in tensor.slices {
                let source = parameters.pointer + slice.offset
                if dtype == .float32 {
                    try output.append(UnsafeRawBufferPointer(start: source, count: slice.count * 4))
                    continue
                }
                var done = 0
                while done < slice.count {
                    let n = min(scratch.count, slice.count - done)
                    try scratch.withUnsafeMutableBufferPointer { buffer in
                        HalfPrecision.narrow(buffer.baseAddress!, from: source + done, count: n, dtype: dtype)
                        try output.append(UnsafeRawBufferPointer(start: buffer.baseAddress!, count: 2 * n))
                    }
                    done += n
                }
            }
        }
        let byteCount = output.byteCount
        try output.commit(sync: sync)
        return byteCount
    }

    /// Number of distinct keys directly below `prefix` among the (sorted) tensor paths.
    static func childCount(_ tensors: [FlaxTensor], prefix: [String]) -> Int {
        var count = 0
        var last: String?
        for tensor in tensors where tensor.path.count > prefix.count && tensor.path.starts(with: prefix) {
            if tensor.path[prefix.count] != last {
                count += 1
                last = tensor.path[prefix.count]
            }
        }
        return count
    }

    /// Writes a whole model directory: weights, the tokenizer files found in `tokenizerDirectory`
    /// (if any), then `config.json` (with `use_scan` set to match `flaxLayout`).
    public static func export(
        _ parameters: FlatBuffer, config: DalleBartConfig, to directory: URL, flaxLayout: FlaxLayerLayout,
        dtype: FlaxDType = .float32, tokenizerDirectory: URL?, sync: Bool = true
    ) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ModelIOError(
                file: directory.path, "cannot create the directory: \(error.localizedDescription)")
        }
        let layout = ParameterLayout(config: config)
        try writeWeights(
            parameters, layout: layout, to: directory, flaxLayout: flaxLayout, dtype: dtype, sync: sync)
        if let tokenizerDirectory {
            try copyTokenizerFiles(from: tokenizerDirectory, to: directory, sync: sync)
        }
        var saved = config
        saved.useScan = flaxLayout == .scan
        let output = try StagedFile(url: directory.appendingPathComponent(configFile))
        try output.append(Array(PretrainedConfigJSON.text(saved).utf8))
        try output.commit(sync: sync)
    }

    /// Copies the tokenizer files (`tokenizerFiles`) that exist in `source` into `destination`,
    /// each under a temporary name first. Nothing happens when both are the same directory.
    public static func copyTokenizerFiles(from source: URL, to destination: URL, sync: Bool = true) throws {
        guard source.standardizedFileURL.path != destination.standardizedFileURL.path else { return }
        do {
            try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        } catch {
            throw ModelIOError(
                file: destination.path, "cannot create the directory: \(error.localizedDescription)")
        }
        for name in tokenizerFiles {
            let file = source.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: file.path) else { continue }
            let output = try StagedFile(url: destination.appendingPathComponent(name))
            try output.append([UInt8](data))
            try output.commit(sync: sync)
        }
    }
}
