// swift-tools-version: 6.2
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "restore-drill",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "restore-drill", targets: ["restore-drill"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // C shims: the only places that see libpq, OpenSSL and libcurl directly.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Shared vocabulary: durations, sizes, secrets, YAML with positions, processes, hashing.
        .target(
            name: "DrillSupport",
            dependencies: [
                "COpenSSL",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        .target(name: "PostgresClient", dependencies: ["CLibPQ", "DrillSupport"], swiftSettings: strict),
        // Provisioners and the quarantine (settings, client authentication, sandbox audit), which report as test cases.
        .target(name: "Provisioning", dependencies: ["DrillSupport", "PostgresClient", "Reports"], swiftSettings: strict),
        .target(name: "Restore", dependencies: ["DrillSupport", "PostgresClient", "Provisioning"], swiftSettings: strict),
        .target(
            name: "Recovery", dependencies: ["DrillSupport", "PostgresClient", "Provisioning", "Restore"], swiftSettings: strict),
        // One HTTP layer (libcurl) for the http check and the S3 object store.
        .target(name: "HTTPClient", dependencies: ["CCurl", "DrillSupport"], swiftSettings: strict),
        .target(name: "Checks", dependencies: ["DrillSupport", "PostgresClient", "HTTPClient"], swiftSettings: strict),
        // Object stores (S3 over the HTTP layer, local folders), as-of listing, manifests, rehash.
        .target(name: "Objects", dependencies: ["DrillSupport", "HTTPClient"], swiftSettings: strict),
        .target(name: "Reports", dependencies: ["DrillSupport"], swiftSettings: strict),
        // Configuration and secrets backups: dotenv, JSON, YAML and Kubernetes manifests read as
        // named values that are never printed, required keys, HMAC fingerprints, references.
        .target(name: "ConfigBundles", dependencies: ["DrillSupport", .product(name: "Yams", package: "Yams")], swiftSettings: strict),
        .target(
            name: "Drill",
            dependencies: ["DrillSupport", "PostgresClient", "Provisioning", "Restore", "Recovery", "Checks", "Objects", "Reports", "ConfigBundles"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "restore-drill",
            dependencies: [
                "Drill", "Recovery", "Restore", "Objects", "Reports", "Provisioning", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // Parser fuzzing: a normal build makes a stub; scripts/fuzz builds it with libFuzzer.
        .executableTarget(
            name: "restore-drill-fuzz", dependencies: ["Drill", "DrillSupport", "Checks", "Recovery", "Restore"],
            swiftSettings: strict),

        .target(
            name: "DrillTestSupport",
            dependencies: ["Drill", "DrillSupport", "PostgresClient", "Provisioning", "Recovery", "Restore", "HTTPClient"],
            path: "Tests/DrillTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "RestoreDrillTests",
            dependencies: [
                "restore-drill", "Drill", "DrillSupport", "PostgresClient", "Provisioning", "Restore", "Recovery", "Checks",
                "Reports", "HTTPClient", "Objects", "ConfigBundles", "DrillTestSupport",
            ],
            swiftSettings: strict
        ),
    ]
)
