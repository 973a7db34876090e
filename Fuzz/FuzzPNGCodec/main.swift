import Foundation
import FuzzSupport
import HeadExtraction

// PNGCodec.decodeInfo (the chunk walk, then libpng) on arbitrary bytes: it must return or
// throw PNGCodec.Failure, and agree with ImageProbe on the size of every PNG both accept.
FuzzMain.run { data in
    guard let info = try? PNGCodec.decodeInfo(data) else { return }
    precondition(info.width > 0 && info.height > 0 && (1...4).contains(info.channels))
    if let probed = try? ImageProbe.probe(data, name: "input.png") {
        precondition(probed.format == .png && probed.width == info.width && probed.height == info.height)
    }
}
