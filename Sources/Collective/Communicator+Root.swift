// "Rank 0 acts, every rank learns the outcome": work only rank 0 does (files, checkpoints), then
// one broadcast so that a failure there ends every rank instead of leaving them in a collective.
import Foundation

extension Communicator {
    /// Collective: runs `body` on rank 0 only, then every rank learns whether it failed. Rank 0
    /// rethrows its own error; the other ranks throw `CollectiveError.rootFailed` with its text.
    public func rootFirst(_ body: () throws -> Void) throws {
        var failure: Error?
        var message: [UInt8] = []
        if isRoot {
            do { try body() } catch {
                failure = error
                message = Array("\(error)".utf8)
                if message.isEmpty { message = Array("unknown error".utf8) }
            }
        }
        let received = try broadcast(message)
        if let failure { throw failure }
        if !received.isEmpty {
            throw CollectiveError.rootFailed(message: String(decoding: received, as: UTF8.self))
        }
    }
}
