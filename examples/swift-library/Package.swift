// swift-tools-version: 6.0
import PackageDescription

// A program that uses Caliby as a library. Here it depends on the checkout it sits in; a program of
// your own names the repository and a version instead:
//     .package(url: "https://github.com/OWNER/caliby.git", from: "1.0.0")
// (the test suite builds this package exactly that way, from a tagged copy of the tree).
let package = Package(
    name: "caliby-swift-example",
    dependencies: [
        .package(name: "caliby", path: "../.."),
    ],
    targets: [
        // README.md's "Use it from Swift", line for line.
        .executableTarget(name: "quickstart", dependencies: [.product(name: "CalibyEngine", package: "caliby")]),
        // The documentation's getting-started article (Sources/CalibyEngine/CalibyEngine.docc).
        .executableTarget(name: "catalog", dependencies: [.product(name: "CalibyEngine", package: "caliby")]),
    ]
)
