import ArgumentParser
import Assets
import HeadExtraction

struct CreditsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credits",
        abstract: "Show the account's credit balances."
    )

    @OptionGroup var backendOptions: BackendOptions

    @Flag(help: "Print one JSON object per balance (JSON Lines).")
    var json = false

    func run() async throws {
        let manager = AssetManager(store: nil, backend: try backendOptions.makeBackend())
        do {
            let balances = try await manager.credits()
            for balance in balances {
                if json {
                    Terminal.out(Terminal.json(balance))
                } else {
                    Terminal.out("\(balance.uniqueSign)  \(balance.name)  \(Self.number(balance.balance)) of \(Self.number(balance.total))")
                }
            }
            Terminal.flush()
        } catch {
            Terminal.flush()
            Terminal.err("failed: \(error.message) [\(error.code)]")
            throw ExitCode(1)
        }
    }

    static func number(_ value: Double) -> String {
        value.rounded() == value ? String(Int64(value)) : String(value)
    }
}
