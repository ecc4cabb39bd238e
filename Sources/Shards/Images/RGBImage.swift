// An 8-bit RGB image in memory and the error every image reader throws.

/// Height rows of width × 3 bytes (R, G, B), top row first.
public struct RGBImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    /// An image of the given size; `pixels` must hold width · height · 3 bytes.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "\(pixels.count) bytes for \(width)x\(height) RGB")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// An image file that cannot be read or written: which file and why.
public struct ImageError: Error, CustomStringConvertible, Equatable {
    /// The file (or a description of the source).
    public var path: String
    /// What went wrong.
    public var reason: String

    /// An error about `path`.
    public init(path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
