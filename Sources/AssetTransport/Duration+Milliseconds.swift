extension Duration {
    /// Whole milliseconds, clamped to what libcurl's `long` options take.
    public var milliseconds: Int {
        let (seconds, attoseconds) = components
        let total = seconds.multipliedReportingOverflow(by: 1000)
        guard !total.overflow else { return Int.max }
        return Int(clamping: total.partialValue + attoseconds / 1_000_000_000_000_000)
    }
}
