// swift-tools-version:6.0
import PackageDescription

// all-MiniLM-L6-v2 through Tessera (the bundled onnx plugin, the engine and Tessera's own
// WordPiece tokenizer), timed the same way as benchmarks/minilm/peers.py times onnxruntime and
// PyTorch. A package of its own so the benchmark's release build stays out of Tessera's; it
// depends on Tessera by path. See README.md.
let package = Package(
    name: "TesseraMiniLMBenchmark",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, so the product references below do not depend on the checkout folder's name.
        .package(name: "Tessera", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "minilm-bench",
            dependencies: [
                .product(name: "TesseraCore", package: "Tessera"),
                .product(name: "TesseraEngine", package: "Tessera"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
