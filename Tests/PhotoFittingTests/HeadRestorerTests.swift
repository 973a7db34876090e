import Foundation
import HeadExtraction
import Testing
@testable import PhotoFitting

@Suite struct HeadRestorerTests {
    /// A photo bigger than the API takes, fitted, and a head "found" by a pretend engine.
    struct Scene {
        var original: Data
        var header: PhotoHeader
        var fitted: FittedPhoto
        var box: PixelBox
        var mask: Data
    }

    func scene(_ original: Data, box: PixelBox) throws -> Scene {
        let header = try PhotoFitter.header(of: original, name: "photo", maxPixels: FitLimits.defaultMaxPixels)
        let fitted = try PhotoFitter.fit(original, header: header, limits: .api, name: "photo")
        return Scene(original: original, header: header, fitted: fitted, box: box, mask: try TestPhotos.ellipseMask(width: box.width, height: box.height))
    }

    @Test func cutoutIsTheOriginalsOwnPixelsAtFullResolution() throws {
        let original = try TestPhotos.scaled("astronaut.png", width: 3000, height: 2400).png()
        let scene = try scene(original, box: PixelBox(x: 500, y: 300, width: 400, height: 500))
        #expect(scene.fitted.width == 1999 && scene.fitted.height == 1599)
        let (png, box) = try HeadRestorer.restore(original: original, header: scene.header, fitted: scene.fitted, mask: scene.mask, box: scene.box, form: .cutout, name: "photo")
        // Box scaled by 3000/1999 and 2400/1599, rounded outwards.
        #expect(box == PixelBox(x: 750, y: 450, width: 601, height: 751))
        let head = try TestPhotos.upright(png)
        #expect(head.width == box.width && head.height == box.height && head.bands == 4)
        let photo = try TestPhotos.upright(original)
        var opaque = 0, clear = 0
        for y in 0..<head.height {
            for x in 0..<head.width {
                let h = (y * head.width + x) * 4
                let p = ((box.y + y) * photo.width + box.x + x) * 3
                switch head.pixels[h + 3] {
                case 255:
                    opaque += 1
                    #expect(Array(head.pixels[h..<(h + 3)]) == Array(photo.pixels[p..<(p + 3)]), "pixel (\(x), \(y))")
                case 0: clear += 1
                default: break
                }
            }
        }
        // An ellipse fills about 79% of its box; the corners are clear.
        #expect(Double(opaque) > 0.7 * Double(box.width * box.height))
        #expect(clear > 0 && head.pixels[3] == 0)
    }

    @Test func maskFormIsTheMaskScaledUp() throws {
        let original = try TestPhotos.scaled("coffee.png", width: 2400, height: 1600).png()
        let scene = try scene(original, box: PixelBox(x: 100, y: 100, width: 300, height: 200))
        let (png, box) = try HeadRestorer.restore(original: original, header: scene.header, fitted: scene.fitted, mask: scene.mask, box: scene.box, form: .mask, name: "photo")
        let mask = try TestPhotos.decoded(png)
        #expect(mask.bands == 1 && mask.width == box.width && mask.height == box.height)
        #expect(box.width >= 360 && box.width <= 361 && box.height >= 240 && box.height <= 241)
        #expect(mask.pixels[(box.height / 2) * box.width + box.width / 2] == 255 && mask.pixels[0] == 0)
    }

    /// Each EXIF orientation: the box is in upright coordinates and the pixels are the upright
    /// original's, though only the box is decoded and turned.
    @Test(arguments: 1...8)
    func boxesAreInUprightCoordinates(orientation: Int) throws {
        let stored = try TestPhotos.scaled("grace_hopper.jpg", width: 240, height: 160)
        let original = try TestPhotos.jpeg(stored, orientation: orientation)
        let scene = try scene(original, box: PixelBox(x: 20, y: 30, width: 50, height: 40))
        let upright = try TestPhotos.upright(original)
        #expect(scene.fitted.width == upright.width && scene.fitted.height == upright.height)
        let (png, box) = try HeadRestorer.restore(original: original, header: scene.header, fitted: scene.fitted, mask: scene.mask, box: scene.box, form: .cutout, name: "photo")
        #expect(box == scene.box)
        let head = try TestPhotos.upright(png)
        var compared = 0
        for y in 0..<head.height {
            for x in 0..<head.width where head.pixels[(y * head.width + x) * 4 + 3] == 255 {
                let h = (y * head.width + x) * 4, p = ((box.y + y) * upright.width + box.x + x) * 3
                #expect(Array(head.pixels[h..<(h + 3)]) == Array(upright.pixels[p..<(p + 3)]))
                compared += 1
            }
        }
        #expect(compared > 1000)
    }

    @Test func boxPastTheEdgeIsClampedAndOutsideIsRefused() throws {
        let original = try TestPhotos.fixture("grace_hopper.jpg")
        let scene = try scene(original, box: PixelBox(x: 480, y: 560, width: 64, height: 64))
        let (png, box) = try HeadRestorer.restore(original: original, header: scene.header, fitted: scene.fitted, mask: scene.mask, box: scene.box, form: .cutout, name: "g.jpg")
        #expect(box == PixelBox(x: 480, y: 560, width: 32, height: 40))
        #expect(try TestPhotos.upright(png).width == 32)
        do throws(APIError) {
            _ = try HeadRestorer.restore(original: original, header: scene.header, fitted: scene.fitted, mask: scene.mask, box: PixelBox(x: 900, y: 0, width: 64, height: 64), form: .cutout, name: "g.jpg")
            Issue.record("a box outside the photo was accepted")
        } catch {
            #expect(error.code == "RESULT_OUT_OF_BOUNDS" && error.message.contains("g.jpg"))
        }
        do throws(APIError) {
            _ = try HeadRestorer.restore(original: original, header: scene.header, fitted: scene.fitted, mask: Data("not a png".utf8), box: scene.box, form: .cutout, name: "g.jpg")
            Issue.record("a mask that is no PNG was accepted")
        } catch {
            #expect(error.code == "RESULT_NOT_PNG" && error.message.contains("g.jpg"))
        }
    }

    @Test func transparentPartsOfTheOriginalStayTransparent() throws {
        // An RGBA PNG whose left half is transparent.
        let rgb = try TestPhotos.scaled("coffee.png", width: 200, height: 100).pixels()
        var rgba = [UInt8]()
        for index in 0..<(200 * 100) {
            rgba += rgb[(index * 3)..<(index * 3 + 3)]
            rgba.append(index % 200 < 100 ? 0 : 255)
        }
        let original = try Vips.image(pixels: rgba, width: 200, height: 100, bands: 4).png()
        let box = PixelBox(x: 50, y: 0, width: 100, height: 100)
        let header = try PhotoFitter.header(of: original, name: "a.png", maxPixels: 1_000_000)
        let fitted = try PhotoFitter.fit(original, header: header, limits: .api, name: "a.png")
        let white = try PNGCodec.encode(width: 100, height: 100, pixels: [UInt8](repeating: 255, count: 100 * 100), format: .gray)
        let (png, _) = try HeadRestorer.restore(original: original, header: header, fitted: fitted, mask: white, box: box, form: .cutout, name: "a.png")
        let head = try TestPhotos.upright(png)
        #expect(head.pixels[(50 * 100 + 10) * 4 + 3] == 0 && head.pixels[(50 * 100 + 90) * 4 + 3] == 255)
    }
}
