// The checked boundary to the C MPI library: every return code becomes a CollectiveError.
// Handle accessors (world communicator, datatypes, ops) come from CMPI/shim.h.
import CMPI

/// Throws `CollectiveError.mpi` naming `call` unless `code` is `MPI_SUCCESS` (mpi4py's CHKERR).
@inline(__always)
func check(_ code: Int32, _ call: StaticString) throws {
    if code != cmpi_success() {
        throw CollectiveError.mpi(call: "\(call)", code: code, message: errorString(code))
    }
}

/// MPI's text for an error code.
func errorString(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
    var length: Int32 = 0
    guard MPI_Error_string(code, &buffer, &length) == cmpi_success() else { return "unknown error" }
    return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Element types that map onto an MPI datatype.
public protocol CollectiveElement {
    static var mpiDatatype: MPI_Datatype { get }
}
extension Float: CollectiveElement { public static var mpiDatatype: MPI_Datatype { cmpi_float() } }
extension Double: CollectiveElement { public static var mpiDatatype: MPI_Datatype { cmpi_double() } }
extension Int32: CollectiveElement { public static var mpiDatatype: MPI_Datatype { cmpi_int32() } }
extension Int64: CollectiveElement { public static var mpiDatatype: MPI_Datatype { cmpi_int64() } }
extension UInt8: CollectiveElement { public static var mpiDatatype: MPI_Datatype { cmpi_byte() } }

/// Reduction operators for `allReduce`.
public enum ReduceOp: Sendable {
    case sum, max, min

    var mpiOp: MPI_Op {
        switch self {
        case .sum: return cmpi_op_sum()
        case .max: return cmpi_op_max()
        case .min: return cmpi_op_min()
        }
    }
}

/// The largest element count one MPI call takes (its count argument is a C int).
let maximumCallCount = Int(Int32.max)

/// Splits `count` elements into consecutive (start, count) pieces of at most `limit` elements.
func chunks(count: Int, limit: Int = maximumCallCount) -> [(start: Int, count: Int)] {
    if count == 0 { return [] }
    return stride(from: 0, to: count, by: limit).map { ($0, Swift.min(limit, count - $0)) }
}
