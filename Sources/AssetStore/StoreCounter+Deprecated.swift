/// The old name of ``StoreCounter``, which collided with swift-metrics' `Counter` in any file
/// that imports both.
@available(*, deprecated, renamed: "StoreCounter")
public typealias Counter = StoreCounter
