// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "assets",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "assets", targets: ["AssetsCLI"]),
        .library(name: "Assets", targets: ["Assets"]),
        .library(name: "AssetStore", targets: ["AssetStore"]),
        .library(name: "HeadExtraction", targets: ["HeadExtraction"]),
        .library(name: "AssetTransport", targets: ["AssetTransport"]),
        .library(name: "AssetsServer", targets: ["AssetsServer"]),
        .library(name: "PhotoFitting", targets: ["PhotoFitting"]),
        .library(name: "SharedTier", targets: ["SharedTier"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/vapor/multipart-kit", exact: "4.7.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        // `swift package generate-documentation --target Assets` (the DocC catalog in Sources/Assets).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", exact: "1.5.0"),
    ],
    targets: [
        // C libraries: module maps and typed wrappers only, no logic.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]
        ),
        // libvips' headers (libvips-dev), which need GLib's include paths; the library itself is
        // opened at run time on first use, not linked (see shim.h), so only GLib's flags are asked
        // of pkg-config.
        .systemLibrary(
            name: "CVips",
            pkgConfig: "glib-2.0",
            providers: [.apt(["libvips-dev"])]
        ),

        // Files put in place whole or not at all (write, fsync, rename), for every layer.
        .target(name: "DurableFiles"),

        // Moves bytes: the Transport protocol, libcurl, cassettes, retries.
        .target(
            name: "AssetTransport",
            dependencies: [
                "CCurl",
                "DurableFiles",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The AILabTools wire contract, ImageProbe and the mock API.
        .target(
            name: "HeadExtraction",
            dependencies: [
                "AssetTransport",
                "DurableFiles",
                "CPNG",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // Fitting: any photo in (sniffed, checked for pixel bombs, fitted to an engine's limits
        // with libvips), and heads given back at the photo's own resolution.
        .target(
            name: "PhotoFitting",
            dependencies: ["CVips", "HeadExtraction", "AssetTransport"]
        ),

        // Blobs and the SQLite catalog.
        .target(
            name: "AssetStore",
            dependencies: [
                "DurableFiles",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            plugins: ["EmbedMigrations"]
        ),

        // The shared tier (L2): the catalog, leases and paid-call ledger in PostgreSQL, and
        // content-addressed blobs in an S3 bucket over AssetTransport.
        .target(
            name: "SharedTier",
            dependencies: [
                "AssetStore",
                "AssetTransport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["EmbedMigrations"]
        ),

        // AssetManager: cache-aside, single-flight, policy, backends.
        .target(
            name: "Assets",
            dependencies: [
                "AssetStore",
                "AssetTransport",
                "DurableFiles",
                "HeadExtraction",
                "PhotoFitting",
                "SharedTier",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Hummingbird routes: the drop-in endpoint, blobs, health, metrics, the mock server.
        .target(
            name: "AssetsServer",
            dependencies: [
                "Assets",
                "AssetStore",
                "HeadExtraction",
                "AssetTransport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .executableTarget(
            name: "AssetsCLI",
            dependencies: [
                "Assets",
                "AssetStore",
                "AssetsServer",
                "HeadExtraction",
                "SharedTier",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            resources: [.copy("Resources/portrait.jpg")]
        ),

        // Measurements for scripts/bench (built in release there).
        .executableTarget(
            name: "AssetsBench",
            dependencies: [
                "Assets", "AssetStore", "AssetsServer", "HeadExtraction", "PhotoFitting", "SharedTier",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ]
        ),

        // The sample web backend (Samples/AvatarService): its routes as a library, tested in
        // AvatarServiceTests, and the app that runs them beside the manager.
        .target(
            name: "AvatarServiceApp",
            dependencies: ["Assets", "AssetStore", "HeadExtraction", .product(name: "Hummingbird", package: "hummingbird")],
            path: "Samples/AvatarService/Sources/AvatarServiceApp"
        ),
        .executableTarget(
            name: "avatar-service",
            dependencies: [
                "AvatarServiceApp", "Assets", "AssetStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Samples/AvatarService/Sources/AvatarService"
        ),

        // Test helper: a second process writing the same store.
        .executableTarget(name: "StoreWriter", dependencies: ["AssetStore"]),

        // Build-time tool that turns migrations/*.sql into Swift source.
        .executableTarget(name: "EmbedMigrationsTool"),
        .plugin(
            name: "EmbedMigrations",
            capability: .buildTool(),
            dependencies: ["EmbedMigrationsTool"]
        ),

        // libFuzzer harnesses, one per parser; `scripts/fuzz TARGET SECONDS` builds one with
        // `-sanitize=fuzzer -DFUZZING`. Without that define (a plain `swift build`) each is a
        // small program that runs the input files it is given once, so they build and link
        // like any executable and need no unsafe flags. See Fuzz/FuzzSupport/FuzzMain.swift.
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Fuzz/FuzzSupport"),
        .executableTarget(name: "FuzzImageProbe", dependencies: ["FuzzSupport", "HeadExtraction"], path: "Fuzz/FuzzImageProbe"),
        .executableTarget(name: "FuzzEnvelope", dependencies: ["FuzzSupport", "HeadExtraction"], path: "Fuzz/FuzzEnvelope"),
        .executableTarget(name: "FuzzPNGCodec", dependencies: ["FuzzSupport", "HeadExtraction"], path: "Fuzz/FuzzPNGCodec"),
        .executableTarget(name: "FuzzPhotoFitter", dependencies: ["FuzzSupport", "PhotoFitting", "HeadExtraction"], path: "Fuzz/FuzzPhotoFitter"),
        .executableTarget(name: "FuzzCassette", dependencies: ["FuzzSupport", "AssetTransport"], path: "Fuzz/FuzzCassette"),

        // Shared by the test targets: temporary folders, fixtures, built products, child processes.
        .target(name: "TestSupport", dependencies: ["AssetTransport"], path: "Tests/TestSupport"),
        .testTarget(
            name: "AssetStoreTests",
            dependencies: ["AssetStore", "DurableFiles", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "AssetTransportTests", dependencies: ["AssetTransport", "TestSupport"]),
        .testTarget(name: "SharedTierTests", dependencies: ["SharedTier", "AssetStore", "AssetTransport", "TestSupport"]),
        .testTarget(name: "HeadExtractionTests", dependencies: ["HeadExtraction", "TestSupport"]),
        .testTarget(name: "PhotoFittingTests", dependencies: ["PhotoFitting", "HeadExtraction", "AssetTransport", "TestSupport"]),
        .testTarget(
            name: "AssetsTests",
            dependencies: [
                "Assets", "TestSupport",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["AssetStore", "AssetTransport", "HeadExtraction", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "AvatarServiceTests",
            dependencies: ["AvatarServiceApp", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird")],
            path: "Samples/AvatarService/Tests"
        ),
        .testTarget(
            name: "AssetsServerTests",
            dependencies: ["AssetsServer", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
