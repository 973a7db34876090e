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
        let configuration = backendOptions.managerConfiguration()
        let manager = AssetManager(store: nil, engine: try await backendOptions.makeEngine(configuration), configuration: configuration)
        do {
            let balances = try await manager.credits()
            await manager.shutdown()
            for balance in balances {
                if json {
                    Terminal.out(Terminal.json(balance))
                } else {
                    Terminal.out("\(balance.uniqueSign)  \(balance.name)  \(Self.number(balance.balance)) of \(Self.number(balance.total))")
                }
            }
            Terminal.flush()
        } catch {
            await manager.shutdown()
            Terminal.flush()
            Terminal.err("failed: \(FlagAdvice.advised(error).message) [\(error.code)]")
            throw ExitCode(1)
        }
    }

    static func number(_ value: Double) -> String {
        value.rounded() == value ? String(Int64(value)) : String(value)
    }
}
