/// The old name of ``APIOptions``, too close to the Assets module's `ExtractOptions`, which
/// holds one of these as its `api` beside the manager's own settings.
@available(*, deprecated, renamed: "APIOptions")
public typealias ExtractionOptions = APIOptions
