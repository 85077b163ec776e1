// swift-tools-version: 6.0
import PackageDescription

// No target-CPU or other unsafe flags: the distance kernels are C (Sources/CDistance) in AVX-512,
// AVX2+F16C and portable versions, each compiled for its instruction set by a function attribute,
// and one is chosen at run time from CPUID (CALIBY_KERNELS overrides; `caliby info --system` shows
// the choice). So the package builds as a dependency and its binary runs on any CPU.

let package = Package(
    name: "caliby",
    products: [
        .executable(name: "caliby", targets: ["caliby"]),
        .library(name: "CalibyEngine", targets: ["CalibyEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
    ],
    targets: [
        .target(
            name: "CalibyEngine",
            dependencies: ["CDistance", "CPrefetch", "CFileSystem", "CMemory", .product(name: "Atomics", package: "swift-atomics")],
            exclude: ["Text/generate-folding.py"]),
        .target(name: "CDistance"),
        .systemLibrary(name: "CPrefetch"),
        .systemLibrary(name: "CFileSystem"),
        .systemLibrary(name: "CMemory"),
        .systemLibrary(
            name: "CReadline",
            providers: [.apt(["libreadline-dev"])]),
        .executableTarget(
            name: "caliby",
            dependencies: [
                "CalibyEngine", "CMemory", "CReadline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(
            name: "CalibyEngineTests",
            dependencies: ["CalibyEngine"],
            // Read through #filePath by the tests that need them, not bundled.
            exclude: ["Fixtures"]),
        .testTarget(
            name: "CalibyCLITests",
            dependencies: ["caliby"],
            // Data directories FormatFixtureTests copies and opens (Fixtures/generate.sh).
            exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
