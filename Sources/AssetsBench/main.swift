import Assets
import AssetsServer
import AssetStore
import Foundation
import GRDB
import HeadExtraction
import MultipartKit
import PhotoFitting
import SharedTier

// In-process measurements for scripts/bench. Each prints one JSON object on stdout:
// {"name": …, "samples_ms": [...], …}. The script computes medians, spreads and ratios, and
// runs the baselines (openssl, process spawns) itself.
//
//   AssetsBench sha256-file FILE RUNS
//   AssetsBench library-hit FOLDER RUNS        (a 3 MB photo: hit vs SHA-256 of the bytes)
//   AssetsBench catalog FOLDER ENTRIES LOOKUPS (lookup time and bytes per entry)
//   AssetsBench serve-parts BODY BOUNDARY FOLDER RUNS (the CPU of a serve hit's parts, for P6)
//   AssetsBench fit FILE RUNS                  (header, plan and fit to the API's limits, for P9;
//                                               RUNS 1 is one cold fit, timed by the script as a process)
//   AssetsBench shared-hit FOLDER PHOTO RUNS   (a hit from the shared tier into an empty store, against
//                                               one PostgreSQL point query plus one S3 GET, for P10;
//                                               ASSETS_SHARED_CATALOG, ASSETS_SHARED_BLOBS and AWS_* set)

extension Duration {
    /// Fractional milliseconds.
    var inMilliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    try ContinuousClock().measure(body).inMilliseconds
}

func emit(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
    fflush(nil)
}

/// A random-pixel PNG of about `bytes` bytes (random pixels do not compress).
func randomPNG(bytes: Int) throws -> Data {
    let side = Int(Double(bytes / 4).squareRoot())
    var generator = SystemRandomNumberGenerator()
    let pixels = (0..<(side * side * 4)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    return try PNGCodec.encode(width: side, height: side, pixels: pixels, format: .rgba)
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "sha256-file":
    let file = URL(fileURLWithPath: arguments[1])
    let runs = Int(arguments[2]) ?? 5
    var samples: [Double] = []
    for _ in 0..<runs {
        samples.append(try milliseconds { _ = try ContentHash.of(fileAt: file) })
    }
    emit(["name": "sha256-file", "samples_ms": samples])

case "library-hit":
    let folder = URL(fileURLWithPath: arguments[1])
    let runs = Int(arguments[2]) ?? 200
    let photo = try randomPNG(bytes: 3_000_000)
    precondition(photo.count <= ImageProbe.maxByteCount, "the bench photo must be a valid input")
    let store = try Store(at: folder.appendingPathComponent("store"))
    let manager = AssetManager(store: store, engine: MockEngine())
    let source = ImageSource.data(photo, name: "bench.png")
    let first = try await manager.extract(source)
    precondition(first.cache == .miss)
    // Both are timed from one task on the concurrency pool, where a server's handlers run, so
    // that neither includes a hop from the main thread to the pool and back.
    let (hits, hashes) = try await Task.detached { () async throws -> ([Double], [Double]) in
        var hits: [Double] = []
        var hashes: [Double] = []
        for _ in 0..<runs {
            // Interleaved, so that both see the same machine.
            hashes.append(milliseconds { _ = ContentHash.of(photo) })
            var hit: Extraction?
            hits.append(try await ContinuousClock().measure { hit = try await manager.extract(source) }.inMilliseconds)
            precondition(hit?.cache == .hit)
        }
        return (hits, hashes)
    }.value
    manager.flush()
    emit(["name": "library-hit", "bytes": photo.count, "hit_ms": hits, "sha256_ms": hashes])

case "catalog":
    let folder = URL(fileURLWithPath: arguments[1])
    let entries = Int(arguments[2]) ?? 1000
    let lookups = Int(arguments[3]) ?? 2000
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let store = try Store(at: folder)
    let catalogFile = folder.appendingPathComponent("catalog.sqlite")
    let emptySize = try FileManager.default.attributesOfItem(atPath: catalogFile.path)[.size] as! Int
    // Fill through SQL in one transaction, shaped exactly as AssetManager writes an entry: an
    // extraction with its response blob, one element and its result blob.
    let queue = try DatabaseQueue(path: catalogFile.path)
    func key(_ label: String, _ index: Int) -> Data { ContentHash.of("\(label)-\(index)").bytes }
    let fill = try milliseconds {
        try queue.write { db in
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let extraction = try db.makeStatement(sql: """
                INSERT INTO extractions (action_key, input_key, operation, options, namespace, state, request_id, log_id,
                                         response_key, input_size, created_at, last_used_at, hit_count)
                VALUES (?, ?, 'avatar-extraction', '', 'ailabtools', 'ok', ?, ?, ?, 2000000, ?, ?, 0)
                """)
            let element = try db.makeStatement(sql: "INSERT INTO elements (extraction_id, position, blob_key, width, height, x, y) VALUES (?, 0, ?, 180, 220, 40, 12)")
            let blob = try db.makeStatement(sql: "INSERT INTO blobs (key, size, created_at, last_used_at) VALUES (?, ?, ?, ?)")
            for index in 0..<entries {
                try extraction.execute(arguments: [key("action", index), key("input", index), UUID().uuidString.replacingOccurrences(of: "-", with: ""), String(UUID().uuidString.prefix(16)), key("response", index), now, now])
                try element.execute(arguments: [db.lastInsertedRowID, key("result", index)])
                try blob.execute(arguments: [key("response", index), 420, now, now])
                try blob.execute(arguments: [key("result", index), 40_000, now, now])
            }
        }
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }
    try queue.close()
    let size = try FileManager.default.attributesOfItem(atPath: catalogFile.path)[.size] as! Int
    var samples: [Double] = []
    var generator = SystemRandomNumberGenerator()
    // Warm the page cache the way a running server is warm.
    for _ in 0..<min(lookups, 200) { _ = try store.catalog.entry(for: ContentHash(bytes: key("action", Int.random(in: 0..<entries, using: &generator)))!) }
    for _ in 0..<lookups {
        let wanted = ContentHash(bytes: key("action", Int.random(in: 0..<entries, using: &generator)))!
        var found: CatalogEntry?
        samples.append(try milliseconds { found = try store.catalog.entry(for: wanted) })
        precondition(found != nil)
    }
    emit(["name": "catalog", "entries": entries, "fill_ms": fill, "file_bytes": size, "empty_bytes": emptySize, "lookup_ms": samples])

case "serve-parts":
    // What `assets serve` spends on one cache hit, part by part, in one thread: reading the
    // multipart body with MultipartKit (in the 64 KiB pieces a connection delivers), hashing
    // the image, and the library hit (hash, lookup, answer). The rest of a request's CPU is
    // HTTP, the event loops and the kernel.
    let body = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: arguments[1])))
    let boundary = arguments[2]
    let folder = URL(fileURLWithPath: arguments[3])
    let runs = Int(arguments[4]) ?? 400
    @Sendable func readForm() throws -> Data {
        let reader = FormReader(boundary: boundary, expectedLength: body.readableBytes)
        var rest = body
        while rest.readableBytes > 0, let piece = rest.readSlice(length: min(65536, rest.readableBytes)) {
            try reader.feed(piece)
        }
        return try reader.finish()[0].body
    }
    let image = try readForm()
    let store = try Store(at: folder.appendingPathComponent("store"))
    let manager = AssetManager(store: store, engine: MockEngine())
    _ = try await manager.extract(.data(image, name: "bench.png"))
    let (parse, hash, hit) = try await Task.detached { () async throws -> ([Double], [Double], [Double]) in
        var parse: [Double] = [], hash: [Double] = [], hit: [Double] = []
        for _ in 0..<runs {
            parse.append(try milliseconds { _ = try readForm() })
            hash.append(milliseconds { _ = ContentHash.of(image) })
            var extraction: Extraction?
            hit.append(try await ContinuousClock().measure { extraction = try await manager.extract(.data(image, name: "bench.png")) }.inMilliseconds)
            precondition(extraction?.cache == .hit)
        }
        return (parse, hash, hit)
    }.value
    manager.flush()
    emit(["name": "serve-parts", "body_bytes": body.readableBytes, "parse_ms": parse, "sha256_ms": hash, "hit_ms": hit])

case "fit":
    let file = URL(fileURLWithPath: arguments[1])
    let runs = Int(arguments[2]) ?? 5
    let photo = try Data(contentsOf: file)
    var samples: [Double] = []
    var fitted: FittedPhoto?
    for _ in 0..<runs {
        samples.append(try milliseconds {
            let header = try PhotoFitter.header(of: photo, name: file.lastPathComponent, maxPixels: FitLimits.api.maxPixels)
            fitted = try PhotoFitter.fit(photo, header: header, limits: .api, name: file.lastPathComponent)
        })
    }
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    emit(["name": "fit", "samples_ms": samples, "width": fitted?.width ?? 0, "height": fitted?.height ?? 0,
          "bytes": fitted?.bytes.count ?? 0, "quality": fitted?.quality ?? 0, "max_rss_kb": usage.ru_maxrss])

case "shared-hit":
    let folder = URL(fileURLWithPath: arguments[1])
    let photo = try Data(contentsOf: URL(fileURLWithPath: arguments[2]))
    let runs = Int(arguments[3]) ?? 50
    guard let shared = try SharedStorage.fromEnvironment() else {
        FileHandle.standardError.write(Data("shared-hit needs ASSETS_SHARED_CATALOG and ASSETS_SHARED_BLOBS\n".utf8))
        exit(64)
    }
    func manager(_ name: String) throws -> AssetManager {
        var configuration = AssetManagerConfiguration()
        configuration.shared = shared
        return AssetManager(store: try Store(at: folder.appendingPathComponent(name)), engine: MockEngine(), configuration: configuration)
    }
    // One host pays (the mock, in process) and publishes.
    let first = try await manager("payer").extract(.data(photo, name: "bench.jpg"))
    guard first.cache == .miss, let head = first.elements.first else { fatalError("the first extraction is not a miss with a head") }
    let actionKey = ActionKey.make(input: first.inputSHA256, options: APIOptions(), namespace: "mock")
    var floor: [Double] = []
    var hits: [Double] = []
    let clock = ContinuousClock()
    for run in 0..<runs {
        // A host with an empty store: opened and read once before the clock starts, as a
        // running server's is (its first read opens a reader connection).
        let fresh = try manager("host-\(run)")
        _ = try fresh.store?.catalog.entry(for: ContentHash.of("warm-up \(run)"))
        func measureFloor() async throws {
            let started = clock.now
            guard try await shared.catalog.contains(actionKey), try await shared.bucket.get(sha256: head.sha256) != nil else { fatalError("the floor found nothing") }
            floor.append((clock.now - started).inMilliseconds)
        }
        func measureHit() async throws {
            let started = clock.now
            let answer = try await fresh.extract(.data(photo, name: "bench.jpg"))
            hits.append((clock.now - started).inMilliseconds)
            guard answer.cache == .hit, answer.elements.first?.sha256 == head.sha256 else { fatalError("run \(run) was not a shared hit") }
        }
        // Alternated, so that drift is shared.
        if run % 2 == 0 {
            try await measureFloor()
            try await measureHit()
        } else {
            try await measureHit()
            try await measureFloor()
        }
        await fresh.shutdown()
    }
    await shared.shutdown()
    emit(["name": "shared-hit", "floor_ms": floor, "hit_ms": hits, "photo_bytes": photo.count, "head_bytes": (try? Data(contentsOf: head.fileURL).count) ?? 0])

default:
    FileHandle.standardError.write(Data("usage: AssetsBench sha256-file FILE RUNS | library-hit FOLDER RUNS | catalog FOLDER ENTRIES LOOKUPS | serve-parts BODY BOUNDARY FOLDER RUNS | fit FILE RUNS | shared-hit FOLDER PHOTO RUNS\n".utf8))
    exit(64)
}
