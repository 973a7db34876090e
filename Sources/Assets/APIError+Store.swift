import AssetStore
import HeadExtraction

extension APIError {
    /// A store failure as an extraction's error, its kind kept in the code: `STORE_FULL` (the
    /// disk or quota is full, HTTP 507), `STORE_READ_ONLY`, `STORE_CORRUPT` (a damaged catalog
    /// or blob), else `STORE_ERROR`. All of class `internal`: the operator's to fix, never the
    /// client's, and never cached.
    public init(_ error: StoreError) {
        let code: String
        var status = 500
        switch error.kind {
        case .diskFull:
            code = "STORE_FULL"
            status = 507
        case .readOnly:
            code = "STORE_READ_ONLY"
        case .corruptCatalog, .corruptBlob, .malformedRow:
            code = "STORE_CORRUPT"
        case .unusableLocation, .newerCatalog, .foreignCatalog, .tooManyOpenFiles, .permissionDenied, .io:
            code = "STORE_ERROR"
        }
        self.init(code: code, errorClass: .internal, message: error.message, httpStatus: status)
    }
}
