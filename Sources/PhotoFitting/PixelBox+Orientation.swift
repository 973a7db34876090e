extension PixelBox {
    /// Where this box of the upright photo lies in the photo as stored, for an EXIF `orientation`
    /// (1...8) and the stored size: so only that part of a big photo need be decoded and turned.
    ///
    /// Orientation 6, say, means the stored pixels are shown turned 90° clockwise: the upright
    /// pixel (u, v) is the stored pixel (v, storedHeight - 1 - u).
    func stored(orientation: Int, storedWidth: Int, storedHeight: Int) -> PixelBox {
        let w = storedWidth, h = storedHeight
        switch orientation {
        case 2: return PixelBox(x: w - x - width, y: y, width: width, height: height)
        case 3: return PixelBox(x: w - x - width, y: h - y - height, width: width, height: height)
        case 4: return PixelBox(x: x, y: h - y - height, width: width, height: height)
        case 5: return PixelBox(x: y, y: x, width: height, height: width)
        case 6: return PixelBox(x: y, y: h - x - width, width: height, height: width)
        case 7: return PixelBox(x: w - y - height, y: h - x - width, width: height, height: width)
        case 8: return PixelBox(x: w - y - height, y: x, width: height, height: width)
        default: return self
        }
    }
}
