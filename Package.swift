// swift-tools-version:6.0
// dalle-train: data-parallel DalleBart (dalle-mini) training over MPI on CPUs.
import PackageDescription

let package = Package(
    name: "dalle-train",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "dalle-train", targets: ["launcher"])
    ],
    dependencies: [
        // The only package dependency: command-line parsing for the launcher.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // System libraries live inside the module that owns them.
        .systemLibrary(name: "CMPI", path: "Sources/Collective/CMPI", pkgConfig: "ompi-c"),
        .systemLibrary(name: "CZstd", path: "Sources/Shards/CZstd", pkgConfig: "libzstd"),
        // Parquet page codecs (snappy, gzip, brotli, LZ4_RAW; zstd above).
        .systemLibrary(name: "CSnappy", path: "Sources/Shards/CSnappy", pkgConfig: "snappy"),
        .systemLibrary(name: "CZlib", path: "Sources/Shards/CZlib", pkgConfig: "zlib"),
        .systemLibrary(name: "CBrotli", path: "Sources/Shards/CBrotli", pkgConfig: "libbrotlidec"),
        .systemLibrary(name: "CLZ4", path: "Sources/Shards/CLZ4", pkgConfig: "liblz4"),
        // Image decoding and PNG writing (Debian libpng-dev, libjpeg62-turbo-dev).
        .systemLibrary(name: "CPNG", path: "Sources/Shards/CPNG", pkgConfig: "libpng"),
        .systemLibrary(name: "CJPEG", path: "Sources/Shards/CJPEG", pkgConfig: "libjpeg"),
        .systemLibrary(name: "CBLAS", path: "Sources/Trainer/CBLAS", pkgConfig: "openblas"),
        // Header-only FMA peak loop (per-function target attributes), for MFU.
        .systemLibrary(name: "CPeak", path: "Sources/Trainer/CPeak"),
        // Header-only packed square root (Swift's Float.squareRoot() does not vectorize), for AdamW.
        .systemLibrary(name: "CVectorMath", path: "Sources/Trainer/CVectorMath"),

        // Direct convolution kernel for the VQGAN (AVX2+FMA where the CPU has it, else scalar).
        .target(
            name: "CConvKernel", path: "Sources/Trainer/CConvKernel",
            cSettings: [.unsafeFlags(["-O2"])]),

        .target(name: "Collective", dependencies: ["CMPI"], path: "Sources/Collective", exclude: ["CMPI"]),
        .target(
            name: "Shards", dependencies: ["CZstd", "CSnappy", "CZlib", "CBrotli", "CLZ4", "CPNG", "CJPEG"],
            path: "Sources/Shards",
            exclude: ["CZstd", "CSnappy", "CZlib", "CBrotli", "CLZ4", "CPNG", "CJPEG"],
            resources: [.copy("Resources/bart"), .copy("Resources/text")]),
        .target(
            name: "Trainer",
            dependencies: ["Collective", "Shards", "CBLAS", "CPeak", "CVectorMath", "CConvKernel"],
            path: "Sources/Trainer",
            exclude: ["CBLAS", "CPeak", "CVectorMath", "CConvKernel"],
            // Release code for x86-64 CPUs with AVX2 and FMA (8-lane loops; Swift does not contract
            // into FMA, so the numbers are the same as baseline x86-64's); the launcher checks the CPU.
            swiftSettings: [
                .unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"], .when(configuration: .release))
            ]),
        .executableTarget(
            name: "launcher",
            dependencies: [
                "Collective", "Shards", "Trainer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/launcher"),
        // Fuzz targets over every reader of untrusted input (Tests/fuzz/run.sh builds them for libFuzzer).
        .executableTarget(
            name: "dalle-train-fuzz", dependencies: ["Shards", "Trainer"], path: "Sources/fuzz"),

        // Test binaries run OpenBLAS on one thread, as the ranks do (a C constructor).
        .target(name: "TestBLASThreads", dependencies: ["CBLAS"], path: "Tests/TestBLASThreads"),
        .target(
            name: "TestSupport", dependencies: ["Collective", "TestBLASThreads"], path: "Tests/TestSupport"),
        .testTarget(name: "CollectiveTests", dependencies: ["Collective", "TestSupport"]),
        .testTarget(name: "ShardsTests", dependencies: ["Shards", "TestSupport"]),
        .testTarget(name: "TrainerTests", dependencies: ["Trainer", "Shards", "Collective", "TestSupport"]),
        .testTarget(name: "launcherTests", dependencies: ["launcher", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
