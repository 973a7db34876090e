import Assets
import AssetStore
import Foundation
import HeadExtraction
import Synchronization
import Testing
import TestSupport

/// The manager fits photos the engine would refuse, sends one call for the masks of the
/// fitted photo, and gives the heads back at the photo's own resolution.
@Suite struct FittingManagerTests {
    /// A photo within the API's limits and upright goes byte for byte, under the key it had
    /// before fitting existed.
    @Test func aPhotoThatFitsIsSentByteForByte() async throws {
        let fixture = try ManagerFixture()
        let engine = SeeingEngine()
        let manager = AssetManager(store: fixture.store, engine: engine)
        let extraction = try await manager.extract(gracePhoto)
        let original = try Data(contentsOf: Repository.fixture("grace_hopper.jpg"))
        #expect(engine.seen.map(\.sha256) == [ContentHash.of(original)])
        #expect(engine.seen.first?.returnForm == nil, "a cutout is asked for as such")
        #expect(extraction.fitted == nil)

        // The store an older build made (the mock over the wire, the same key) still answers.
        let wire = try ManagerFixture()
        _ = try await wire.manager().extract(gracePhoto)
        let again = try await AssetManager(store: wire.store, engine: engine).extract(gracePhoto)
        #expect(again.cache == .hit)
        #expect(engine.seen.count == 1)
    }

    @Test func anOversizePhotoIsFittedOnceAndItsHeadsComeBackAtItsOwnResolution() async throws {
        let folder = TemporaryDirectory("fit-big")
        let big = try await FixturePhotos.resized("grace_hopper.jpg", by: 4, to: folder.path("big.jpg"))
        let (width, height) = try FittingPhotos.size(of: big)
        #expect(max(width, height) > 1999)

        let fixture = try ManagerFixture()
        let engine = SeeingEngine()
        let manager = AssetManager(store: fixture.store, engine: engine)

        // Refused as the API would when fitting is off, at no cost.
        await #expect { try await manager.extract(.file(big), options: ExtractOptions(fit: .never)) } throws: { error in
            (error as? APIError)?.errorClass == .input
        }
        #expect(engine.seen.isEmpty)

        let extraction = try await manager.extract(.file(big))
        let sent = try #require(engine.seen.first)
        #expect(engine.seen.count == 1)
        let fitted = try #require(extraction.fitted)
        #expect(sent.sha256 == fitted.sha256, "the JSON's sha256 is what the engine was sent")
        #expect(sent.returnForm == .mask, "the masks of the fitted photo are asked for")
        #expect(max(sent.width, sent.height) <= 1999 && max(sent.width, sent.height) >= 1990)
        #expect(fitted.width == sent.width && fitted.height == sent.height)
        #expect(!extraction.elements.isEmpty)
        for element in extraction.elements {
            let png = try Data(contentsOf: element.fileURL)
            #expect(ContentHash.of(png) == element.sha256)
            let info = try PNGCodec.decodeInfo(png)
            #expect(info.width == element.width && info.height == element.height, "the head is the box's size in the original")
            #expect(info.channels == 4)
            #expect(element.x >= 0 && element.y >= 0 && element.x + element.width <= width && element.y + element.height <= height)
            #expect(element.width > sent.width / 4, "the box is in the original's coordinates, not the fitted photo's")
        }

        let again = try await manager.extract(.file(big))
        #expect(again.cache == .hit)
        #expect(again.fitted == extraction.fitted)
        #expect(again.elements == extraction.elements, "the same heads, boxes and blobs")
        #expect(engine.seen.count == 1, "a fitted photo is paid once")

        // Fitting is deterministic: another store fits the same photo to the same bytes.
        let other = try ManagerFixture()
        let second = SeeingEngine()
        _ = try await AssetManager(store: other.store, engine: second).extract(.file(big))
        #expect(second.seen.map(\.sha256) == [sent.sha256])

        // With the cache off, the heads are the same bytes.
        let uncached = try await manager.extract(.file(big), options: ExtractOptions(useCache: false))
        defer { uncached.temporaryFolder.map { try? FileManager.default.removeItem(at: $0) } }
        #expect(uncached.elements.map(\.sha256) == extraction.elements.map(\.sha256))
        #expect(uncached.fitted == extraction.fitted)
    }

    @Test func aMaskIsGivenBackAtTheOriginalsResolutionToo() async throws {
        let folder = TemporaryDirectory("fit-mask")
        let big = try await FixturePhotos.resized("grace_hopper.jpg", by: 4, to: folder.path("big.jpg"))
        let fixture = try ManagerFixture()
        let manager = AssetManager(store: fixture.store, engine: SeeingEngine())
        let mask = try await manager.extract(.file(big), options: ExtractOptions(api: APIOptions(returnForm: .mask)))
        let cutout = try await manager.extract(.file(big))
        #expect(mask.fitted != nil)
        for (maskElement, cutoutElement) in zip(mask.elements, cutout.elements) {
            let info = try PNGCodec.decodeInfo(try Data(contentsOf: maskElement.fileURL))
            #expect(info.channels == 1)
            #expect(info.width == maskElement.width && info.height == maskElement.height)
            #expect(maskElement.x == cutoutElement.x && maskElement.y == cutoutElement.y && maskElement.width == cutoutElement.width && maskElement.height == cutoutElement.height)
        }
    }

    @Test func anEXIFRotatedPhotoIsAnsweredInUprightCoordinates() async throws {
        let folder = TemporaryDirectory("fit-exif")
        let original = try Data(contentsOf: Repository.fixture("grace_hopper.jpg"))
        let rotated = folder.path("rotated.jpg")
        try FittingPhotos.withOrientation(6, original).write(to: rotated)
        let (storedWidth, storedHeight) = try FittingPhotos.size(of: Repository.fixture("grace_hopper.jpg"))

        let fixture = try ManagerFixture()
        let engine = SeeingEngine()
        let extraction = try await AssetManager(store: fixture.store, engine: engine).extract(.file(rotated))
        let sent = try #require(engine.seen.first)
        #expect(sent.width == storedHeight && sent.height == storedWidth, "the photo is sent upright")
        #expect(extraction.fitted?.width == storedHeight)
        for element in extraction.elements {
            #expect(element.x + element.width <= storedHeight && element.y + element.height <= storedWidth)
        }
    }

    @Test func aPixelBombIsRefusedBeforeItIsDecodedAndCostsNothing() async throws {
        let fixture = try ManagerFixture()
        let engine = SeeingEngine()
        let manager = AssetManager(store: fixture.store, engine: engine)
        let bomb = try FittingPhotos.jpegClaiming(width: 30_000, height: 30_000, from: try Data(contentsOf: Repository.fixture("grace_hopper.jpg")))
        await #expect { try await manager.extract(.data(bomb, name: "bomb.jpg")) } throws: { error in
            (error as? APIError)?.code == "PIXEL_LIMIT_EXCEEDED" && (error as? APIError)?.errorClass == .input
        }
        #expect(engine.seen.isEmpty)
        #expect(try fixture.store.stats().entries == 0)
    }
}

/// The mock engine, seeing what it is sent: each request's bytes, size and form.
final class SeeingEngine: ExtractionEngine {
    struct Seen: Sendable {
        var sha256: ContentHash
        var width: Int
        var height: Int
        var returnForm: ReturnForm?
    }

    let mock: MockEngine
    private let requests = Mutex<[Seen]>([])

    init(service: MockService = MockService()) {
        mock = MockEngine(service: service, retryPolicy: .none)
    }

    var identity: EngineIdentity { mock.identity }
    var limits: EngineLimits { mock.limits }
    var seen: [Seen] { requests.withLock { $0 } }

    func extract(_ request: EngineRequest) async throws(APIError) -> EngineAnswer {
        requests.withLock { $0.append(Seen(sha256: ContentHash.of(request.bytes), width: request.probe.width, height: request.probe.height, returnForm: request.options.returnForm)) }
        return try await mock.extract(request)
    }
}

/// Photos made for the fitting tests from the committed fixtures.
enum FittingPhotos {
    /// The pixel size of a photo, from ImageProbe's header reading (without its limits).
    static func size(of file: URL) throws -> (Int, Int) {
        let probe = try ImageProbe.probe(try Data(contentsOf: file), name: file.lastPathComponent, limits: ImageProbe.Limits(formats: Set(ImageFormat.allCases), maxBytes: Int.max, minSide: 1, maxSide: nil, accepter: "test"))
        return (probe.width, probe.height)
    }

    /// A JPEG with an EXIF block (APP1) right after its start that says `orientation`.
    static func withOrientation(_ orientation: UInt8, _ jpeg: Data) -> Data {
        // TIFF header (big-endian), one IFD entry: 0x0112 Orientation, SHORT, 1, value; no next IFD.
        let tiff: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01,
                             0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, orientation, 0x00, 0x00,
                             0x00, 0x00, 0x00, 0x00]
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        var out = Data(jpeg.prefix(2))
        out.append(contentsOf: [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload)
        out.append(jpeg.dropFirst(2))
        return out
    }

    /// A JPEG whose frame header (SOF) claims `width` x `height`, its data that of a small photo.
    static func jpegClaiming(width: UInt16, height: UInt16, from jpeg: Data) throws -> Data {
        var bytes = [UInt8](jpeg)
        var index = 2
        while index + 9 < bytes.count, bytes[index] == 0xFF {
            let marker = bytes[index + 1]
            let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            if (0xC0...0xC3).contains(marker) {
                bytes[index + 5] = UInt8(height >> 8)
                bytes[index + 6] = UInt8(height & 0xFF)
                bytes[index + 7] = UInt8(width >> 8)
                bytes[index + 8] = UInt8(width & 0xFF)
                return Data(bytes)
            }
            index += 2 + length
        }
        throw FixturePhotoError(message: "no frame header in the JPEG")
    }
}
