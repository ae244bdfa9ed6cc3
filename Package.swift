// swift-tools-version:6.0
import PackageDescription

/// Settings every Swift target shares: Swift 6 language mode with complete concurrency checking.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// Bundled plugins: each folder under Plugins/ (except support/, the helpers they share) is a C
/// target built as its own shared library, `libtessera-<name>.so`, next to the executables.
let bundledPlugins: [(folder: String, target: String, exclude: [String])] = [
    ("latency-slo", "TesseraPluginLatencySLO", ["README.md"]),
    ("error-rate", "TesseraPluginErrorRate", ["README.md"]),
    ("jsonl-events", "TesseraPluginJSONLEvents", ["README.md"]),
    ("prometheus", "TesseraPluginPrometheus", ["README.md"]),
    ("safetensors", "TesseraPluginSafetensors", ["README.md", "fixtures"]),
    ("prune-magnitude", "TesseraPluginPruneMagnitude", ["README.md"]),
    ("onnx", "TesseraPluginONNX", ["README.md", "fixtures"]),
    ("hf-bert", "TesseraPluginHFBert", ["README.md"]),
    ("gguf", "TesseraPluginGGUF", ["README.md", "fixtures"]),
]

let package = Package(
    name: "Tessera",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tesserad", targets: ["tesserad"]),
        .executable(name: "tessera", targets: ["tessera"]),
        .library(name: "TesseraCore", targets: ["TesseraCore"]),
        .library(name: "TesseraEngine", targets: ["TesseraEngine"]),
    ] + bundledPlugins.map {
        .library(name: "tessera-\($0.folder)", type: .dynamic, targets: [$0.target])
    },
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // The C ABI published to plugin authors. Headers only for them; src/ holds compile-time layout checks.
        .target(
            name: "TesseraSDK",
            path: "sdk",
            exclude: ["examples", "PLUGIN_GUIDE.md"],
            sources: ["src"],
            publicHeadersPath: "include"
        ),
        .systemLibrary(
            name: "CLibFFI",
            pkgConfig: "libffi",
            providers: [.apt(["libffi-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(name: "CTesseraKernels"),
        .target(name: "CTesseraHash"),
        // Host-only C: the fingerprint the host compares plugins against.
        .target(name: "CTesseraHost", dependencies: ["TesseraSDK"]),
        .target(
            name: "TesseraEngine",
            dependencies: ["CTesseraKernels"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraCore",
            dependencies: [
                "TesseraEngine", "TesseraSDK", "CTesseraHost", "CLibFFI", "CSQLite", "CTesseraHash",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraServer",
            dependencies: [
                "TesseraCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tesserad",
            dependencies: [
                "TesseraServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tessera",
            dependencies: [
                "TesseraCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Helpers the test targets share (temp folders, building C plugins, running executables).
        .target(name: "TesseraTestSupport", path: "Tests/TesseraTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "TesseraEngineTests",
            dependencies: ["TesseraEngine", "CTesseraKernels"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraCoreTests",
            dependencies: ["TesseraCore", "TesseraTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraServerTests",
            dependencies: [
                "TesseraServer", "TesseraTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // Helpers the bundled plugins share (not a plugin, not part of the SDK; see Plugins/support/README.md).
        .target(name: "TesseraPluginSupport", dependencies: ["TesseraSDK"], path: "Plugins/support", exclude: ["README.md"]),
    ] + bundledPlugins.map {
        .target(name: $0.target, dependencies: ["TesseraSDK", "TesseraPluginSupport"], path: "Plugins/\($0.folder)", exclude: $0.exclude)
    },
    swiftLanguageModes: [.v6]
)
