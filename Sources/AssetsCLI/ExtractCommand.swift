import ArgumentParser
import Assets
import AssetStore
import Foundation
import HeadExtraction

struct ExtractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Cut the heads out of photos, answering repeats from the store.",
        discussion: "Each PATH is a photo or a folder (walked for images, sorted, hidden files skipped). Results go to <stem>.head.png, <stem>.head-2.png, … in --out."
    )

    @Argument(help: ArgumentHelp("Photos (JPEG, PNG, BMP, WebP, HEIC, AVIF, TIFF or GIF) or folders of them.", valueName: "path"))
    var paths: [String]

    @Flag(inversion: .prefixedNo, help: "Read and write the store (default), or neither.")
    var cache = true

    @Option(name: .customLong("return-form"), help: ArgumentHelp("mask: return a single-channel mask instead of the cutout.", valueName: "form"))
    var returnForm: String?

    @Option(help: ArgumentHelp("auto: fit photos the backend would refuse (too large, EXIF-rotated, HEIC, WebP, TIFF, GIF) and give back heads at their own resolution; never: refuse them.", valueName: "auto|never"))
    var fit: FitMode = .auto

    @Option(name: .customLong("max-pixels"), help: ArgumentHelp("The largest photo decoded for fitting, in pixels; a larger one is refused before it is decoded.", valueName: "n"))
    var maxPixels = FitMode.defaultMaxPixels

    @Option(help: ArgumentHelp("The folder to write results into (default: the current folder).", valueName: "dir"))
    var out: String?

    @Option(help: "How many photos to work on at once.")
    var jobs = 3

    @Option(name: .customLong("max-calls"), help: ArgumentHelp("The most calls to the backend in this run; further new photos fail with SPEND_LIMIT_REACHED and cost nothing (hits are always answered).", valueName: "n"))
    var maxCalls: Int?

    @Flag(help: "Replace output files that exist with different content.")
    var force = false

    @Flag(help: "Print one JSON object per input (JSON Lines), in input order.")
    var json = false

    @Flag(name: .shortAndLong, help: "No progress bar and no summary.")
    var quiet = false

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var backendOptions: BackendOptions
    @OptionGroup var sharedOptions: SharedTierOptions

    func validate() throws {
        if let returnForm, ReturnForm(rawValue: returnForm) == nil {
            throw ValidationError("--return-form takes only 'mask' (leave it out for the cutout), not '\(returnForm)'.")
        }
        guard maxPixels > 0 else {
            throw ValidationError("--max-pixels takes a positive number of pixels, such as 100000000, not \(maxPixels).")
        }
        if let maxCalls, maxCalls < 0 {
            throw ValidationError("--max-calls takes a number of at least 0, not \(maxCalls).")
        }
        guard (1...64).contains(jobs) else {
            throw ValidationError("--jobs takes a number from 1 to 64, not \(jobs).")
        }
    }

    func run() async throws {
        let store = cache ? try storeOptions.open() : nil
        var configuration = backendOptions.managerConfiguration()
        // Every photo of the batch in progress may be a miss: never queue them out.
        configuration.maxConcurrentMisses = max(configuration.maxConcurrentMisses, jobs * 2)
        configuration.spendLimit.maxCalls = maxCalls
        // The shared tier sits behind the store: with --no-cache there is neither.
        configuration.shared = cache ? try await sharedOptions.openChecked(warn: !quiet) : nil
        let manager = AssetManager(store: store, engine: try await backendOptions.makeEngine(configuration), configuration: configuration)
        let options = ExtractOptions(api: APIOptions(returnForm: returnForm.flatMap(ReturnForm.init(rawValue:))), useCache: cache, fit: fit, maxPixels: maxPixels)
        let outputFolder = URL(fileURLWithPath: out ?? FileManager.default.currentDirectoryPath, isDirectory: true).standardizedFileURL

        let inputs = InputCollector.collect(paths)
        let images = inputs.map(\.source)
        if images.isEmpty, !quiet {
            Terminal.err("No images found in \(paths.joined(separator: ", ")).")
        }
        var report = ExtractReport(total: images.count, json: json, quiet: quiet)
        for await (index, result) in manager.extract(images, options: options, jobs: jobs) {
            let image = images[index]
            let exporter = ResultExporter(folder: outputFolder.appendingPathComponent(inputs[index].outputSubfolder, isDirectory: true), force: force)
            let outcome = result.flatMap { extraction in
                Result { () throws(APIError) in
                    try exporter.export(extraction, stem: ResultExporter.stem(of: image.displayName), returnForm: options.api.returnForm)
                }.map { (extraction, $0) }
            }
            if case .success(let extraction) = result, let temporary = extraction.temporaryFolder {
                try? FileManager.default.removeItem(at: temporary)
            }
            report.record(image.displayName, outcome)
        }
        // Flushes the bookkeeping and tells a plugin to stop.
        await manager.shutdown()
        await configuration.shared?.shutdown()
        report.finish(activity: manager.activity)
        Terminal.flush()
        if report.failed > 0 { throw ExitCode(1) }
    }
}

extension FitMode: ExpressibleByArgument {}
