import Foundation
@testable import SharedTier
import Testing

@Suite struct SQLStatementsTests {
    @Test func statementsSplitAtSemicolonsOutsideQuotesCommentsAndDollarBodies() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'it''s; fine');
            /* block; comment */ CREATE INDEX "odd;name" ON a (x);
            CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;
            CREATE FUNCTION g() RETURNS int AS $$ SELECT 2; $$ LANGUAGE sql
            ;
            -- only a comment at the end
            """
        let statements = SQLStatements.split(sql)
        #expect(statements.count == 4)
        #expect(statements[0].hasSuffix("DEFAULT 'it''s; fine')"))
        #expect(statements[1].contains("\"odd;name\""))
        #expect(statements[2].contains("$body$ SELECT 1; $body$"))
        #expect(statements[3].contains("$$ SELECT 2; $$"))
    }

    @Test func theSharedMigrationsSplitIntoWholeStatements() {
        for migration in EmbeddedMigrations.all {
            let statements = SQLStatements.split(migration.sql)
            #expect(!statements.isEmpty)
            for statement in statements {
                let first = statement.split(whereSeparator: \.isNewline).first { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }
                #expect(first.map { $0.hasPrefix("CREATE") } == true, "\(statement.prefix(80))")
            }
        }
    }
}

@Suite struct CircuitBreakerTests {
    @Test func itOpensAfterTheThresholdAndLetsOneTrialThroughAfterTheCooldown() async throws {
        let breaker = CircuitBreaker(threshold: 3, cooldown: .milliseconds(200))
        #expect(breaker.allows())
        breaker.failed()
        breaker.failed()
        #expect(breaker.current == .closed && breaker.allows())
        breaker.failed()
        #expect(breaker.current == .open)
        #expect(!breaker.allows())
        try await Task.sleep(for: .milliseconds(300))
        #expect(breaker.current == .halfOpen)
        #expect(breaker.allows(), "one trial")
        #expect(!breaker.allows(), "only one at a time")
        // The trial fails: open again at once, without three more failures.
        breaker.failed()
        #expect(breaker.current == .open && !breaker.allows())
        try await Task.sleep(for: .milliseconds(300))
        #expect(breaker.allows())
        breaker.succeeded()
        #expect(breaker.current == .closed && breaker.allows() && breaker.allows())
    }
}

@Suite struct SharedStorageConfigurationTests {
    let secret = "aws-secret-\(UUID().uuidString)"

    @Test func neitherHalfIsNoSharedTier() throws {
        #expect(try SharedStorage.fromEnvironment([:]) == nil)
    }

    @Test(arguments: ["ASSETS_SHARED_CATALOG", "ASSETS_SHARED_BLOBS"])
    func oneHalfAloneIsAConfigurationError(_ set: String) {
        let environment = [set: set == "ASSETS_SHARED_CATALOG" ? "postgres://u:pw-123@db/x" : "s3://b/p", "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": secret]
        #expect {
            try SharedStorage.fromEnvironment(environment)
        } throws: { error in
            guard let error = error as? SharedTierError else { return false }
            return error.kind == .configuration && !error.message.contains("pw-123") && !error.message.contains(secret)
        }
    }

    @Test func bothHalvesMakeATierWhoseSecretsAreKnownAndNeverDescribed() throws {
        let shared = try #require(try SharedStorage.fromEnvironment([
            "ASSETS_SHARED_CATALOG": "postgres://u:pw-123456@db:5433/x?sslmode=disable",
            "ASSETS_SHARED_BLOBS": "s3://bucket/prefix?endpoint=http://127.0.0.1:9000",
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": secret,
            "ASSETS_SHARED_LEASE_TTL": "7", "ASSETS_SHARED_OUTAGE": "refuse",
        ]))
        #expect(Set(shared.secrets) == ["pw-123456", secret])
        #expect(!shared.description.contains("pw-123456") && !shared.description.contains(secret))
        #expect(shared.options.leaseTTL == .seconds(7) && shared.options.policy == .refuse)
    }

    @Test func theRegionComesFromTheURLElseAWSRegionElseAWSDefaultRegion() throws {
        func region(_ url: String, _ extra: [String: String]) throws -> String? {
            try SharedStorage.fromEnvironment([
                "ASSETS_SHARED_CATALOG": "postgres://u:pw@db/x", "ASSETS_SHARED_BLOBS": url,
                "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": secret,
            ].merging(extra) { $1 })?.bucket.location.region
        }
        #expect(try region("s3://bucket/p", [:]) == "us-east-1")
        #expect(try region("s3://bucket/p", ["AWS_DEFAULT_REGION": "eu-central-1"]) == "eu-central-1")
        #expect(try region("s3://bucket/p", ["AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-central-1"]) == "eu-west-1")
        #expect(try region("s3://bucket/p?region=ap-south-1", ["AWS_REGION": "eu-west-1"]) == "ap-south-1")
        #expect(throws: SharedTierError.self) { try region("s3://bucket/p", ["AWS_REGION": "not a region"]) }
    }

    @Test(arguments: [("ASSETS_SHARED_LEASE_TTL", "0"), ("ASSETS_SHARED_LEASE_TTL", "soon"), ("ASSETS_SHARED_OUTAGE", "maybe")])
    func badTuningIsAConfigurationError(_ name: String, _ value: String) {
        #expect(throws: SharedTierError.self) {
            try SharedStorage.fromEnvironment([
                "ASSETS_SHARED_CATALOG": "postgres://u:pw@db/x", "ASSETS_SHARED_BLOBS": "s3://bucket/p",
                "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": secret, name: value,
            ])
        }
    }
}
