// Model configs a careless or hostile user can write: mistyped keys, sizes that would overflow or
// exhaust memory, negative special ids. Each is a ConfigError naming the key, before any allocation.
import Foundation
import TestSupport
import Testing
import Trainer

@Suite struct HostileConfigTests {
    /// The small test config with the keys of the JSON object text `overrides` replaced or added.
    func decode(_ overrides: String) throws -> DalleBartConfig {
        var object = try #require(
            try JSONSerialization.jsonObject(with: Data(SmallRun.configJSON.utf8)) as? [String: Any])
        let changes = try #require(
            try JSONSerialization.jsonObject(with: Data("{\(overrides)}".utf8)) as? [String: Any])
        object.merge(changes) { $1 }
        return try JSONDecoder().decode(
            DalleBartConfig.self, from: try JSONSerialization.data(withJSONObject: object))
    }

    func configError(_ overrides: String) -> ConfigError? {
        do {
            _ = try decode(overrides)
            return nil
        } catch {
            return error as? ConfigError
        }
    }

    @Test func aMistypedKeyIsNamedNotIgnored() {
        let error = configError(#""encoder_layer": 3"#)
        #expect(error == .unknownKey(key: "encoder_layer", suggestion: "encoder_layers"))
        // Keys of transformers' PretrainedConfig and dalle-mini's own extras are accepted.
        #expect(configError(#""architectures": ["DalleBart"], "use_cache": true, "max_length": 257"#) == nil)
    }

    @Test(arguments: [
        (#""d_model": 4611686018427387904"#, "d_model"),
        (#""encoder_ffn_dim": 4611686018427387904"#, "encoder_ffn_dim"),
        (#""decoder_layers": 1073741824"#, "decoder_layers"),
        (#""d_model": 65536, "encoder_layers": 64, "decoder_layers": 64"#, "d_model"),
        (#""eos_token_id": -1"#, "eos_token_id"),
    ])
    func impossibleSizesAreRejectedByName(overrides: String, key: String) {
        let error = configError(overrides)
        guard case .outOfRange(let badKey, _, _) = error else {
            Issue.record("\(overrides): \(String(describing: error))")
            return
        }
        #expect(badKey == key)
    }

    @Test func aModelLargerThanMemoryIsRefusedBeforeAllocating() throws {
        // ~100 billion parameters pass the size bounds but not the memory check.
        let config = try decode(#""d_model": 16384, "encoder_layers": 30, "decoder_layers": 30"#)
        #expect(throws: ConfigError.self) { try DalleBart(config: config, batchSize: 1) }
    }
}
