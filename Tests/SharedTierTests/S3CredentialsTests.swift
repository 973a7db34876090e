import AssetTransport
import Foundation
import SharedTier
import Testing

@Suite struct S3CredentialsTests {
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    let token = "FwoGZXIvYXdzEXAMPLETOKEN//////////wEaDM"

    @Test func theEnvironmentGivesKeySecretAndToken() throws {
        let credentials = try S3Credentials.fromEnvironment([
            "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token,
        ])
        #expect(credentials.accessKeyID == "AKIAIOSFODNN7EXAMPLE")
        #expect(credentials.secretAccessKey == secret)
        #expect(credentials.sessionToken == token)
        let plain = try S3Credentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": ""])
        #expect(plain.sessionToken == nil)
    }

    @Test(arguments: [
        ([:], "neither AWS_ACCESS_KEY_ID nor AWS_SECRET_ACCESS_KEY"),
        (["AWS_ACCESS_KEY_ID": "AKIA1"], "AWS_SECRET_ACCESS_KEY is not"),
        (["AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "  "], "AWS_SECRET_ACCESS_KEY is not"),
        (["AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"], "AWS_ACCESS_KEY_ID is not"),
    ])
    func missingVariablesAreAConfigurationError(environment: [String: String], expected: String) throws {
        let error = try #require(throws: SharedTierError.self) { try S3Credentials.fromEnvironment(environment) }
        #expect(error.kind == .configuration)
        #expect(error.message.contains(expected), "\(error.message)")
        #expect(!error.message.contains(secret))
    }

    @Test func noDescriptionShowsTheSecretOrTheToken() {
        let credentials = S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: secret, sessionToken: token)
        let signature = AWSSignature(region: "us-east-1", accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: secret, sessionToken: token)
        let request = HTTPRequest(method: "GET", url: URL(string: "https://b.s3.amazonaws.com/k")!, signature: signature)
        var dumped = ""
        dump(credentials, to: &dumped)
        dump(signature, to: &dumped)
        dump(request, to: &dumped)
        let texts = [
            String(describing: credentials), String(reflecting: credentials), "\(credentials)",
            String(describing: signature), String(reflecting: signature),
            String(describing: request), String(reflecting: request), dumped,
        ]
        for text in texts {
            #expect(!text.contains(secret), "\(text)")
            #expect(!text.contains(token), "\(text)")
            #expect(!text.contains("AKIAIOSFODNN7EXAMPLE"), "\(text)")
        }
        #expect(String(describing: signature).contains("<redacted>"))
    }
}
