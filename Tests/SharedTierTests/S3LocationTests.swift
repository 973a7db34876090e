import AssetStore
import Foundation
@testable import SharedTier
import Testing

@Suite struct S3LocationTests {
    let hash = ContentHash.of("blob")

    @Test func aBucketWithAPrefixAndRegionOnAWS() throws {
        let location = try S3Location(parsing: "s3://team-assets/cache/blobs/?region=eu-west-1")
        #expect(location.bucket == "team-assets")
        #expect(location.prefix == "cache/blobs")
        #expect(location.region == "eu-west-1")
        #expect(location.endpoint == nil)
        let hex = hash.hex
        #expect(location.key(for: hash) == "cache/blobs/\(hex.prefix(2))/\(hex)")
        #expect(location.objectURL(key: location.key(for: hash)).absoluteString == "https://team-assets.s3.eu-west-1.amazonaws.com/cache/blobs/\(hex.prefix(2))/\(hex)")
        #expect(location.hash(ofKey: location.key(for: hash)) == hash)
    }

    @Test func theRegionDefaultsToUSEast1AndADottedBucketUsesPathStyle() throws {
        let location = try S3Location(parsing: "s3://assets.example.com")
        #expect(location.region == "us-east-1")
        #expect(location.prefix == "")
        #expect(location.key(for: hash) == "\(hash.hex.prefix(2))/\(hash.hex)")
        #expect(location.objectURL(key: "k").absoluteString == "https://s3.us-east-1.amazonaws.com/assets.example.com/k")
    }

    @Test func anEndpointMeansPathStyleOnThatServer() throws {
        let location = try S3Location(parsing: "s3://assets/v1?endpoint=http://127.0.0.1:9000/&region=local-1")
        #expect(location.endpoint?.absoluteString == "http://127.0.0.1:9000")
        #expect(location.region == "local-1")
        #expect(location.objectURL(key: "v1/ab/x").absoluteString == "http://127.0.0.1:9000/assets/v1/ab/x")
        #expect(location.bucketURL(query: "list-type=2").absoluteString == "http://127.0.0.1:9000/assets/?list-type=2")
    }

    @Test func keysThatAreNotBlobNamesAreNotHashes() throws {
        let location = try S3Location(parsing: "s3://assets/p")
        let hex = hash.hex
        #expect(location.hash(ofKey: "p/README") == nil)
        #expect(location.hash(ofKey: "p/zz/\(hex)") == nil)
        #expect(location.hash(ofKey: "p/\(hex.prefix(2))/\(hex.uppercased())") == nil)
        #expect(location.hash(ofKey: "q/\(hex.prefix(2))/\(hex)") == nil)
        #expect(location.hash(ofKey: "p/\(hex.prefix(2))/\(hex)/x") == nil)
    }

    @Test(arguments: [
        ("", "s3:// URL"),
        ("assets/prefix", "s3:// URL"),
        ("https://assets/prefix", "not https://"),
        ("s3://", "names no bucket"),
        ("s3://AKIA:secretvalue@assets/p", "must not hold credentials"),
        ("s3://assets:9000/p", "takes no port"),
        ("s3://Assets/p", "bucket name"),
        ("s3://ab/p", "bucket name"),
        ("s3://assets_1/p", "bucket name"),
        ("s3://assets/p?bucket=x", "not understood"),
        ("s3://assets/p?region=a&region=b", "twice"),
        ("s3://assets/p?region=EU%20West", "region"),
        ("s3://assets/p?endpoint=ftp://host", "http:// or https://"),
        ("s3://assets/p?endpoint=", "not a URL"),
        ("s3://assets/p?endpoint=http://u:pw@host:9000", "must not hold credentials"),
        ("s3://assets/p?endpoint=http://host:9000/path", "remove its path"),
        ("s3://assets/a//b", "prefix"),
        ("s3://assets/a/../b", "prefix"),
        ("s3://assets/a%20b", "prefix"),
        ("s3://assets/p#x", "fragment"),
    ])
    func malformedURLsSayWhatIsWrong(text: String, expected: String) throws {
        let error = try #require(throws: SharedTierError.self) { try S3Location(parsing: text) }
        #expect(error.kind == .configuration)
        #expect(error.message.contains(expected), "\(error.message)")
        #expect(error.message.hasSuffix("."))
        #expect(!error.message.contains("secretvalue"))
        #expect(!error.message.contains("pw@"))
    }
}
