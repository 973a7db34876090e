import AssetTransport
import Foundation
import HeadExtraction

/// Turns the photo a person has into one an engine accepts, with libvips.
///
/// ```swift
/// let header = try PhotoFitter.header(of: bytes, name: "IMG_0001.HEIC", maxPixels: FitLimits.api.maxPixels)
/// switch try PhotoFitter.plan(header, limits: .api, name: "IMG_0001.HEIC") {
/// case .asIs: upload(bytes)                                     // byte for byte, as before
/// case .fit: upload(try PhotoFitter.fit(bytes, header: header, limits: .api, name: "IMG_0001.HEIC").bytes)
/// }
/// ```
///
/// Three steps, each cheaper than the next: ``header(of:name:maxPixels:)`` reads only the
/// header (a pixel bomb costs nothing), ``plan(_:limits:name:)`` decides from it alone, and
/// ``fit(_:header:limits:name:)`` decodes, applies the EXIF orientation, converts to 8-bit sRGB,
/// downscales (Lanczos 3, shrinking while it decodes a JPEG) and saves a JPEG without metadata.
///
/// - Important: every function is synchronous and thread-safe; libvips work blocks the calling
///   thread, so run it where blocking is fine.
public enum PhotoFitter {
    /// The version of fitting's output, for the action key: bump `fit-N` whenever the same photo
    /// would give other bytes. The libvips release is part of it, since it decides the bytes too.
    public static let profile: String = "fit-1-vips-\(Vips.version)"

    /// The JPEG qualities tried, best first, until the upload fits the byte limit.
    static let qualities = [90, 85, 80, 75, 70, 60, 50]
    /// How much each side shrinks when no quality is small enough.
    static let shrinkStep = 0.8

    // MARK: header

    /// Reads a photo's format, size and orientation from its header, without decoding its pixels.
    ///
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - name: the name used in messages, usually the file's last path component.
    ///   - maxPixels: the most pixels to accept, ``FitLimits/maxPixels``.
    /// - Throws: ``APIError`` of class `input`: `UNSUPPORTED_FILE_TYPES` for anything but the
    ///   formats of ``PhotoFormat`` (or one this machine's libvips cannot read),
    ///   `PIXEL_LIMIT_EXCEEDED` past `maxPixels`, `FILE_DECODING_FAILURE` for a damaged or lying header.
    public static func header(of bytes: Data, name: String, maxPixels: Int) throws(APIError) -> PhotoHeader {
        guard !bytes.isEmpty else {
            throw FitError.unsupported(name, "\(name) is empty; choose a photo (JPEG, PNG, HEIC, WebP, TIFF, GIF or BMP).")
        }
        guard let format = PhotoFormat.sniff(bytes) else {
            throw FitError.unsupported(name, "\(name) is not a JPEG, PNG, BMP, WebP, HEIC, AVIF, TIFF or GIF image; convert it to JPEG or PNG.")
        }
        var probed: (width: Int, height: Int)?
        if let imageFormat = format.imageFormat {
            // ImageProbe walks the whole structure cheaply: truncation is caught before libvips.
            let anything = ImageProbe.Limits(formats: [imageFormat], maxBytes: nil, minSide: 1, maxSide: nil, accepter: "assets")
            let image = try ImageProbe.probe(bytes, name: name, limits: anything)
            try checkPixels(image.width, image.height, maxPixels: maxPixels, name: name)
            // BMP has no EXIF, and ImageMagick would decode it whole just to say so.
            if format == .bmp {
                return PhotoHeader(format: format, width: image.width, height: image.height, orientation: 1, byteCount: bytes.count)
            }
            probed = (image.width, image.height)
        }
        let found: (width: Int, height: Int, orientation: Int)
        do throws(Vips.Failure) {
            found = try Vips.reading(bytes) { buffer throws(Vips.Failure) in
                let image = try Vips.load(buffer, as: format, sequential: true)
                return (image.width, image.height, image.orientation)
            }
        } catch {
            throw undecodableOrMissing(name, format)
        }
        if let probed, probed.width != found.width || probed.height != found.height {
            throw FitError.undecodable(name, format)
        }
        guard found.width > 0, found.height > 0 else { throw FitError.undecodable(name, format) }
        try checkPixels(found.width, found.height, maxPixels: maxPixels, name: name)
        return PhotoHeader(format: format, width: found.width, height: found.height, orientation: found.orientation, byteCount: bytes.count)
    }

    private static func checkPixels(_ width: Int, _ height: Int, maxPixels: Int, name: String) throws(APIError) {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > maxPixels {
            throw FitError.pixelLimit(name, width: width, height: height, maxPixels: maxPixels)
        }
    }

    /// A HEIF or AVIF whose codec this libheif lacks reads as unsupported rather than damaged.
    private static func undecodableOrMissing(_ name: String, _ format: PhotoFormat) -> APIError {
        if !Vips.isAvailable { return FitError.libraryMissing(name) }
        if format == .avif || format == .heif, !Codecs.canDecode(format) {
            return FitError.unsupported(name, "\(name) is \(format.withArticle) image, which this machine's libvips cannot decode; convert it to JPEG or PNG.")
        }
        return FitError.undecodable(name, format)
    }

    // MARK: plan

    /// Decides from the header alone whether the photo goes as it is or is fitted, and to what size.
    ///
    /// A photo goes as it is when the engine reads its format, its bytes and sides are within the
    /// limits and it is upright (EXIF orientation 1). Otherwise it is fitted: the longest side at
    /// most ``FitLimits/maxSide``, never scaled up.
    ///
    /// - Throws: ``APIError`` `ERROR_LOW_RESOLUTION` (class `input`) for a side below the engine's
    ///   minimum, or one that fitting would leave at 32 px or less; `UNSUPPORTED_FILE_TYPES` when
    ///   the engine takes neither JPEG nor PNG and the photo is not in a format it takes.
    public static func plan(_ header: PhotoHeader, limits: FitLimits, name: String) throws(APIError) -> FitPlan {
        let width = header.uprightWidth, height = header.uprightHeight
        let who = limits.accepter
        if min(width, height) < limits.minSide {
            throw FitError.lowResolution(name, "\(name) is \(width)x\(height) pixels, but \(who) needs at least \(limits.minSide) pixels a side; use a larger photo.")
        }
        let fitsBytes = limits.maxBytes.map { header.byteCount <= $0 } ?? true
        let fitsSides = limits.maxSide.map { max(width, height) <= $0 } ?? true
        let fitsPixels = limits.maxUploadPixels.map { width * height <= $0 } ?? true
        if limits.formats.contains(header.format), header.orientation == 1, fitsBytes, fitsSides, fitsPixels {
            return .asIs
        }
        guard outputFormat(for: limits) != nil else {
            throw FitError.unsupported(name, "\(name) is \(header.format.withArticle), which \(who) does not accept, and \(who) takes neither JPEG nor PNG to convert it to; convert it yourself.")
        }
        let target = target(width: width, height: height, limits: limits)
        if min(target.width, target.height) < limits.fittedMinSide {
            throw FitError.lowResolution(name, "\(name) is \(width)x\(height) pixels, which fitted to the limits would be \(target.width)x\(target.height), but \(who) needs more than \(limits.fittedMinSide - 1) pixels a side; crop it to a less elongated shape.")
        }
        return .fit(target)
    }

    /// The upright size after scaling down (only down) to the side and pixel limits.
    static func target(width: Int, height: Int, limits: FitLimits) -> FitTarget {
        var scale = 1.0
        if let maxSide = limits.maxSide, max(width, height) > maxSide {
            scale = Double(maxSide) / Double(max(width, height))
        }
        if let maxPixels = limits.maxUploadPixels, width * height > maxPixels {
            scale = min(scale, (Double(maxPixels) / Double(width * height)).squareRoot())
        }
        guard scale < 1 else { return FitTarget(width: width, height: height) }
        var target = FitTarget(width: max(1, Int((Double(width) * scale).rounded())), height: max(1, Int((Double(height) * scale).rounded())))
        if let maxSide = limits.maxSide {
            target = FitTarget(width: min(target.width, maxSide), height: min(target.height, maxSide))
        }
        if let maxPixels = limits.maxUploadPixels {
            while target.width * target.height > maxPixels, target.width > 1, target.height > 1 {
                target = FitTarget(width: target.width - (target.width >= target.height ? 1 : 0), height: target.height - (target.height > target.width ? 1 : 0))
            }
        }
        return target
    }

    /// JPEG when the engine reads it, else PNG, else nothing.
    static func outputFormat(for limits: FitLimits) -> PhotoFormat? {
        limits.formats.contains(.jpeg) ? .jpeg : limits.formats.contains(.png) ? .png : nil
    }

    // MARK: fit

    /// Decodes the photo and makes the upload: upright, 8-bit sRGB, first frame only, scaled down
    /// to the plan's size, a baseline JPEG without metadata, its quality (then its size) stepped
    /// down until it is within ``FitLimits/maxBytes``.
    ///
    /// The same bytes always give the same upload (with the same libvips), so repeats hit the
    /// cache. A photo the plan would send as it is is fitted all the same (re-encoded at its size).
    ///
    /// - Parameters:
    ///   - bytes: the whole file, as given to ``header(of:name:maxPixels:)``.
    ///   - header: what ``header(of:name:maxPixels:)`` read from `bytes`.
    /// - Throws: ``APIError``: the codes of ``plan(_:limits:name:)``, `FILE_DECODING_FAILURE`
    ///   when the pixels turn out damaged, `FILE_SIZE_EXCEEDS_LIMIT` when no size fits the bytes.
    public static func fit(_ bytes: Data, header: PhotoHeader, limits: FitLimits, name: String) throws(APIError) -> FittedPhoto {
        let target: FitTarget
        switch try plan(header, limits: limits, name: name) {
        case .fit(let planned): target = planned
        case .asIs: target = FitTarget(width: header.uprightWidth, height: header.uprightHeight)
        }
        guard let format = outputFormat(for: limits) else {
            throw FitError.unsupported(name, "\(name) cannot be fitted for an engine that takes neither JPEG nor PNG; convert it yourself.")
        }
        func fitted(_ data: Data, quality: Int, width: Int, height: Int) -> FittedPhoto {
            FittedPhoto(
                bytes: data, format: format, width: width, height: height, sha256: SHA256Hex.of(data), quality: quality,
                scaleX: Double(header.uprightWidth) / Double(width), scaleY: Double(header.uprightHeight) / Double(height)
            )
        }
        let firstQuality = format == .jpeg ? qualities[0] : 0
        // Usually the first try fits: decode, scale and encode then stream through in one pass,
        // as vipsthumbnail does, with nothing held in memory.
        let first: Data
        do throws(Vips.Failure) {
            first = try Vips.reading(bytes) { buffer throws(Vips.Failure) in
                let image = try uprightPixels(buffer, header: header, target: target)
                guard image.width == target.width, image.height == target.height else {
                    throw Vips.Failure(operation: "thumbnail", detail: "made \(image.width)x\(image.height) pixels instead of \(target.width)x\(target.height)")
                }
                return format == .jpeg ? try image.jpeg(quality: firstQuality) : try image.png()
            }
        } catch {
            throw FitError.undecodable(name, header.format)
        }
        if limits.maxBytes.map({ first.count <= $0 }) ?? true {
            return fitted(first, quality: firstQuality, width: target.width, height: target.height)
        }
        // Too big: decode once more, into memory, and step the quality (then the size) down.
        let image: Vips.Image
        do throws(Vips.Failure) {
            image = try Vips.reading(bytes) { buffer throws(Vips.Failure) in try uprightPixels(buffer, header: header, target: target).inMemory() }
        } catch {
            throw FitError.undecodable(name, header.format)
        }
        let (data, quality, final) = try encode(image, as: format, maxBytes: limits.maxBytes, minSide: limits.fittedMinSide, skippingFirst: true, name: name)
        return fitted(data, quality: quality, width: final.width, height: final.height)
    }

    /// The photo decoded at `target` size, upright, 8-bit sRGB without alpha: a pipeline that
    /// reads `buffer` when it is saved, once.
    static func uprightPixels(_ buffer: UnsafeRawBufferPointer, header: PhotoHeader, target: FitTarget) throws(Vips.Failure) -> Vips.Image {
        var image: Vips.Image
        if header.format == .jpeg {
            image = try Vips.thumbnailJPEG(buffer, width: target.width, height: target.height)
        } else {
            let loaded = try Vips.load(buffer, as: header.format, sequential: true)
            guard loaded.width == header.width, loaded.height == header.height else {
                throw Vips.Failure(operation: "load", detail: "the size differs from the header's")
            }
            image = try loaded.thumbnail(width: target.width, height: target.height)
        }
        image = try image.sRGB()
        if image.hasAlpha { image = try image.flattenedOnWhite() }
        if image.bands > 3 { image = try image.bands(0, count: 3) }
        if !image.isUChar { image = try image.uchar() }
        return image
    }

    /// Saves `image`, stepping the JPEG quality down, then the size, until it fits `maxBytes`.
    private static func encode(_ image: Vips.Image, as format: PhotoFormat, maxBytes: Int?, minSide: Int, skippingFirst: Bool, name: String) throws(APIError) -> (Data, Int, Vips.Image) {
        var current = image
        var skip = skippingFirst
        while true {
            for quality in (format == .jpeg ? qualities : [0]) {
                if skip {
                    skip = false
                    continue
                }
                let saved: Data
                do throws(Vips.Failure) {
                    saved = format == .jpeg ? try current.jpeg(quality: quality) : try current.png()
                } catch {
                    throw FitError.internalFailure(name, error.operation)
                }
                guard let maxBytes, saved.count > maxBytes else { return (saved, quality, current) }
            }
            let width = Int((Double(current.width) * shrinkStep).rounded(.down))
            let height = Int((Double(current.height) * shrinkStep).rounded(.down))
            guard min(width, height) >= minSide else { throw FitError.tooLarge(name, maxBytes: maxBytes ?? 0) }
            do throws(Vips.Failure) {
                current = try current.resizedLanczos(Double(width) / Double(current.width), Double(height) / Double(current.height))
                    .sized(width: width, height: height).inMemory()
            } catch {
                throw FitError.internalFailure(name, error.operation)
            }
        }
    }
}
