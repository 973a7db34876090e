import HeadExtraction
import Testing

/// The ``APIError`` `body` throws, or `nil` when it succeeds (any other error is recorded as an issue).
func apiError<T>(_ body: () async throws -> T) async -> APIError? {
    do {
        _ = try await body()
        return nil
    } catch let error as APIError {
        return error
    } catch {
        Issue.record("expected an APIError, got \(error)")
        return nil
    }
}
