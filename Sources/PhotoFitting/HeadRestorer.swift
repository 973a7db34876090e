import Foundation
import HeadExtraction

/// Gives back a head found in a fitted photo at the original's own resolution.
///
/// ```swift
/// // the engine was sent `fitted` and asked for return_form=mask; it answered `mask` at `box`
/// let head = try HeadRestorer.restore(original: bytes, header: header, fitted: fitted,
///                                     mask: mask, box: box, form: .cutout, name: "IMG_0001.HEIC")
/// try head.png.write(to: url)   // RGBA, the original's pixels, alpha = the mask scaled up
/// ```
///
/// One paid call on the small photo, and the head is as sharp as the photo: the box is scaled to
/// the upright original's coordinates, the mask is scaled up (bilinear) to that box, and the
/// cutout takes the original's own pixels there (upright, 8-bit sRGB), with the mask as alpha.
/// Only the box is decoded and turned upright, so a big photo costs little memory.
///
/// - Important: synchronous and thread-safe; libvips work blocks the calling thread.
public enum HeadRestorer {
    /// What to give back.
    public enum Form: Sendable, Hashable {
        /// The head as RGBA: the original's pixels, alpha from the mask.
        case cutout
        /// The mask alone, single channel, scaled up to the original's box.
        case mask
    }

    /// The head at the original's resolution, and its box in the upright original.
    ///
    /// - Parameters:
    ///   - original: the photo's bytes, as given to ``PhotoFitter/header(of:name:maxPixels:)``.
    ///   - header: what ``PhotoFitter/header(of:name:maxPixels:)`` read from `original`.
    ///   - fitted: what was sent to the engine.
    ///   - mask: the engine's mask PNG for `box` (box-sized; grey, grey with alpha, RGB or RGBA:
    ///     white is the head).
    ///   - box: where the engine found the head, in `fitted`'s pixels.
    ///   - form: a cutout or the mask.
    ///   - name: the photo's name, for messages.
    /// - Returns: a PNG without metadata, and its box in the upright original (inside the image).
    /// - Throws: ``APIError``: `RESULT_NOT_PNG` for a mask that is not a PNG, `RESULT_OUT_OF_BOUNDS`
    ///   (class `internal`) for a box outside the fitted photo, `FILE_DECODING_FAILURE` when the
    ///   original cannot be decoded.
    public static func restore(original: Data, header: PhotoHeader, fitted: FittedPhoto, mask: Data, box: PixelBox, form: Form, name: String) throws(APIError) -> (png: Data, box: PixelBox) {
        let uprightWidth = header.uprightWidth, uprightHeight = header.uprightHeight
        // The box in the upright original, rounded outwards, then kept inside the image.
        let left = Int((Double(box.x) * fitted.scaleX).rounded(.down))
        let top = Int((Double(box.y) * fitted.scaleY).rounded(.down))
        let right = Int((Double(box.x + box.width) * fitted.scaleX).rounded(.up))
        let bottom = Int((Double(box.y + box.height) * fitted.scaleY).rounded(.up))
        let clamped = PixelBox(
            x: max(0, left), y: max(0, top),
            width: min(uprightWidth, right) - max(0, left), height: min(uprightHeight, bottom) - max(0, top)
        )
        guard box.width > 0, box.height > 0, clamped.width > 0, clamped.height > 0 else {
            throw APIError(code: "RESULT_OUT_OF_BOUNDS", errorClass: .internal, message: "The engine placed the head of \(name) at \(box), outside the \(fitted.width)x\(fitted.height) photo it was sent; try another backend.")
        }

        let alpha: Vips.Image
        do throws(Vips.Failure) {
            alpha = try scaledMask(mask, to: PixelBox(x: left, y: top, width: right - left, height: bottom - top), keeping: clamped)
        } catch {
            throw APIError(code: "RESULT_NOT_PNG", errorClass: .transient, message: "The engine's mask for \(name) is not a readable PNG; extract the image again.")
        }
        if form == .mask {
            do throws(Vips.Failure) {
                return (try alpha.png(), clamped)
            } catch {
                throw FitError.internalFailure(name, error.operation)
            }
        }
        guard PhotoFormat.sniff(original) == header.format else { throw FitError.undecodable(name, header.format) }
        do throws(Vips.Failure) {
            let png = try Vips.reading(original) { buffer throws(Vips.Failure) in
                try cutout(buffer, header: header, box: clamped, alpha: alpha).png()
            }
            return (png, clamped)
        } catch {
            throw FitError.undecodable(name, header.format)
        }
    }

    /// The mask as one 8-bit band, scaled to `full` (the box before clamping), cut to `kept`.
    private static func scaledMask(_ mask: Data, to full: PixelBox, keeping kept: PixelBox) throws(Vips.Failure) -> Vips.Image {
        guard PhotoFormat.sniff(mask) == .png else { throw Vips.Failure(operation: "pngload", detail: "not a PNG") }
        return try Vips.reading(mask) { buffer throws(Vips.Failure) in
            var image = try Vips.load(buffer, as: .png, sequential: false)
            let hasAlpha = image.hasAlpha
            image = try image.greyscale()
            if !image.isUChar { image = try image.uchar() }
            if hasAlpha, image.bands >= 2 {
                // A mask drawn on transparency: what is transparent is not the head.
                image = try image.bands(0, count: 1).multiplied(by: image.bands(1, count: 1)).linear(1.0 / 255.0, 0).uchar()
            } else if image.bands > 1 {
                image = try image.bands(0, count: 1)
            }
            let scaled = try image
                .resizedLinear(Double(full.width) / Double(image.width), Double(full.height) / Double(image.height))
                .sized(width: full.width, height: full.height)
            return try scaled.extractArea(x: kept.x - full.x, y: kept.y - full.y, width: kept.width, height: kept.height).uchar().inMemory()
        }
    }

    /// The original's pixels in `box` (upright coordinates), upright, sRGB, with `alpha` joined.
    private static func cutout(_ buffer: UnsafeRawBufferPointer, header: PhotoHeader, box: PixelBox, alpha: Vips.Image) throws(Vips.Failure) -> Vips.Image {
        let loaded = try Vips.load(buffer, as: header.format, sequential: true)
        guard loaded.width == header.width, loaded.height == header.height else {
            throw Vips.Failure(operation: "load", detail: "the size differs from the header's")
        }
        let stored = box.stored(orientation: header.orientation, storedWidth: header.width, storedHeight: header.height)
        var image = try loaded.extractArea(x: stored.x, y: stored.y, width: stored.width, height: stored.height)
        if header.orientation != 1 {
            // Turning reads the pixels out of order: hold the (small) crop in memory first.
            image = try image.inMemory()
            image.setOrientation(header.orientation)
            image = try image.autorotated()
        }
        guard image.width == box.width, image.height == box.height else {
            throw Vips.Failure(operation: "autorot", detail: "the turned crop has the wrong size")
        }
        image = try image.sRGB()
        var mask = alpha
        if image.hasAlpha {
            // The photo's own transparency stays transparent.
            let own = try image.bands(image.bands - 1, count: 1).uchar()
            mask = try mask.multiplied(by: own).linear(1.0 / 255.0, 0).uchar()
        }
        image = try image.bands(0, count: 3)
        if !image.isUChar { image = try image.uchar() }
        return try image.joined(with: mask)
    }
}
