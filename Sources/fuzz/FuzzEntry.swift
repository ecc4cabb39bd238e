// Entry points of `dalle-train-fuzz`: built with -sanitize=fuzzer and -DFUZZING, libFuzzer calls
// LLVMFuzzerTestOneInput; otherwise `main` replays files (regression inputs) through a target.
import Foundation

/// The target named by FUZZ_TARGET.
let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget.all.first(where: { $0.name == name }) else {
        let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
        FileHandle.standardError.write(Data("set FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(64)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    selectedTarget.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
    /// libFuzzer's driver (exported by its runtime), run from this executable's entry point.
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    /// The package's executable entry point when fuzzing: hands the command line to libFuzzer.
    @_cdecl("dalle_train_fuzz_main")
    func fuzzMain(
        _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    ) -> Int32 {
        var count = argc
        var arguments = argv
        return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
            guard let data else { return 0 }
            return fuzzOneInput(data, size)
        }
    }
#else
    /// Replays every file given (or every file of every directory given) through FUZZ_TARGET.
    @main
    enum FuzzReplay {
        static func main() {
            var count = 0
            for argument in CommandLine.arguments.dropFirst() {
                let url = URL(fileURLWithPath: argument)
                var isDirectory: ObjCBool = false
                FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
                let files =
                    isDirectory.boolValue
                    ? (try? FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil))
                        ?? []
                    : [url]
                for file in files.sorted(by: { $0.path < $1.path }) {
                    guard let data = try? Data(contentsOf: file) else { continue }
                    selectedTarget.run(Array(data))
                    count += 1
                }
            }
            print("\(selectedTarget.name): \(count) inputs replayed without a crash")
        }
    }
#endif
