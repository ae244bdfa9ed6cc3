// swift-tools-version:6.0
import PackageDescription

// The peers Tessera's HTTP benchmark compares the daemon against (see README.md): a plain
// Hummingbird route returning a fixed body (the framework ceiling) and the raw engine call
// (the model ceiling). A package of its own so the benchmark's dependencies and release build
// stay out of Tessera's; it depends on Tessera by path for the engine and the plugin host.
let package = Package(
    name: "TesseraHTTPBenchmark",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        // Named, so the product references below do not depend on the checkout folder's name
        // (a path dependency's identity is otherwise the folder's last component).
        .package(name: "Tessera", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "http-peers",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "TesseraEngine", package: "Tessera"),
                .product(name: "TesseraCore", package: "Tessera"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
