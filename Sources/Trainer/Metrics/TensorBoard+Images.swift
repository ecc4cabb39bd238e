// Image summaries in the TensorBoard event file: `Summary.Value.image` (field 4) holding a
// `Summary.Image` {1 height, 2 width, 3 colorspace, 4 encoded_image_string} with a PNG.
import Foundation

extension TensorBoardWriter {
    /// One event with an image summary per (tag, PNG bytes, width, height) at `step`, RGB.
    /// Nothing happens when inactive.
    public func addImages(
        _ images: [(tag: String, png: [UInt8], width: Int, height: Int)], step: Int,
        wallTime: Double = Date().timeIntervalSince1970
    ) throws {
        guard isActive, !images.isEmpty else { return }
        try append(event: Self.imageEvent(images, step: step, wallTime: wallTime))
    }

    static func imageEvent(
        _ images: [(tag: String, png: [UInt8], width: Int, height: Int)], step: Int, wallTime: Double
    ) -> Data {
        var summary = Data()
        for image in images {
            var encoded = Data()
            Protobuf.int64(1, Int64(image.height), into: &encoded)
            Protobuf.int64(2, Int64(image.width), into: &encoded)
            Protobuf.int64(3, 3, into: &encoded)
            Protobuf.bytes(4, Data(image.png), into: &encoded)
            var value = Data()
            Protobuf.bytes(1, Data(image.tag.utf8), into: &value)
            Protobuf.bytes(4, encoded, into: &value)
            Protobuf.bytes(1, value, into: &summary)
        }
        return summaryEvent(summary, step: step, wallTime: wallTime)
    }
}
