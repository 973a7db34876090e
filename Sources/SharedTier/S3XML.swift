import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The text of chosen leaf elements of an S3 XML answer, in document order.
///
/// S3 answers a listing with `<ListBucketResult>` and a failure with `<Error>`; only a few of
/// their leaves matter here, so this collects those and ignores the rest.
struct S3XML {
    private(set) var values: [String: [String]] = [:]

    /// Parses `data`, keeping the text of the elements named in `leaves`; `nil` if it is not XML.
    init?(_ data: Data, leaves: Set<String>) {
        let collector = Collector(leaves: leaves)
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.delegate = collector
        guard parser.parse() else { return nil }
        values = collector.values
    }

    func first(_ name: String) -> String? { values[name]?.first }

    func all(_ name: String) -> [String] { values[name] ?? [] }

    private final class Collector: NSObject, XMLParserDelegate {
        let leaves: Set<String>
        var values: [String: [String]] = [:]
        private var current: String?
        private var text = ""

        init(leaves: Set<String>) { self.leaves = leaves }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if leaves.contains(name) {
                current = name
                text = ""
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if current != nil { text += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            guard name == current else { return }
            values[name, default: []].append(text)
            current = nil
        }
    }
}
