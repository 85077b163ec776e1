// swift-tools-version: 6.0
import PackageDescription

// The distance kernels need AVX2 code generation, and the float16 ones F16C (`vcvtph2ps`): without
// a target CPU Swift emits SSE only. They use no FMA (Distance.swift says why). `haswell` is a
// named level (AVX2, F16C, FMA), not `native`, so a binary built here runs on any x86-64 CPU
// since Haswell.
let hotPathFlags: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"]),
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

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
            dependencies: ["CPrefetch", "CFileSystem", .product(name: "Atomics", package: "swift-atomics")],
            exclude: ["Text/generate-folding.py"],
            swiftSettings: hotPathFlags),
        .systemLibrary(name: "CPrefetch"),
        .systemLibrary(name: "CFileSystem"),
        .systemLibrary(
            name: "CReadline",
            providers: [.apt(["libreadline-dev"])]),
        .executableTarget(
            name: "caliby",
            dependencies: [
                "CalibyEngine", "CReadline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: hotPathFlags),
        .testTarget(
            name: "CalibyEngineTests",
            dependencies: ["CalibyEngine"],
            // Read through #filePath by the tests that need them, not bundled.
            exclude: ["Fixtures"],
            swiftSettings: hotPathFlags),
        .testTarget(
            name: "CalibyCLITests",
            dependencies: ["caliby"]),
    ],
    swiftLanguageModes: [.v5]
)
