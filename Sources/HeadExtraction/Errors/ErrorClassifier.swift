/// Decides how a failed API answer behaves, by its `error_detail.code` first and its HTTP status second.
///
/// ```swift
/// ErrorClassifier.classify(code: "EXCEEDING_LIMITS", httpStatus: 429)          // .transient
/// ErrorClassifier.classify(code: "ERROR_NOT_ENOUGH_CREDITS", httpStatus: 429)  // .credits
/// ```
///
/// The code wins because the vendor moved 48 codes to new statuses on 2026-01-08 and statuses
/// collide (429 means both "slow down" and "out of credits"). A documented code without an
/// explicit class below takes the class of its current status; an undocumented code takes the
/// class of the status it came with.
public enum ErrorClassifier {
    /// The class of a failed answer.
    ///
    /// - Parameters:
    ///   - code: `error_detail.code`, or `nil`/empty when the answer had none.
    ///   - httpStatus: the status the answer came with.
    public static func classify(code: String?, httpStatus: Int) -> ErrorClass {
        guard let code, !code.isEmpty else { return classify(status: httpStatus) }
        if let explicit = explicitClasses[code] { return explicit }
        if let info = ErrorCodeTable.info(for: code) { return classify(status: info.status) }
        return classify(status: httpStatus)
    }

    /// The class of a status alone: 5xx and 429 may pass, 401 is the key, other 4xx the input.
    static func classify(status: Int) -> ErrorClass {
        switch status {
        case 429, 500...599: .transient
        case 401: .auth
        case 400...499: .input
        default: .internal
        }
    }

    /// Codes whose class differs from what their current status alone would say.
    static let explicitClasses: [String: ErrorClass] = {
        var table: [String: ErrorClass] = [
            "ERROR_NOT_ENOUGH_CREDITS": .credits,
            "ERROR_USER_LOCKED": .auth,
            "ERROR_ILLEGAL_OPERATION": .auth,
            "ERROR_APPLICATIONS_NOT_EXISTS": .auth,
            "ERROR_USER_NOT_EXISTS": .auth,
            // The endpoint itself is switched off for this account: no retry or input fixes it.
            "ERROR_AI_NOT_EXISTS": .internal,
            // Account-wide quotas (429), not rate limits: waiting seconds does not help.
            "ERROR_FACE_TRACE_LIMIT_EXCEEDED": .input,
            "ERROR_DATABASE_LIMIT_EXCEEDED": .input,
            // A 501 for a storage option this client never sends: deterministic.
            "ERROR_IMAGE_STORAGE_NOT_SUPPORTED": .input,
            "EXCEEDING_LIMITS": .transient,
            // This project's own, not the vendor's: a photo whose header claims more pixels than
            // fitting reads (PhotoFitting). Served with 413, like the API's resolution limit.
            "PIXEL_LIMIT_EXCEEDED": .input,
            "ERROR_BATCH_TASK_LIMIT_EXCEEDED": .transient,
        ]
        for code in contentCodes { table[code] = .content }
        return table
    }()

    /// Answers that depend only on the image's bytes, so the same bytes fail the same way.
    static let contentCodes: [String] = [
        "FILE_DECODING_FAILURE", "ERROR_ILLEGAL_FILE", "ERROR_INVALID_FILE",
        "ERROR_UNSUPPORTED_GRAYSCALE_IMAGE",
        "FILE_CONTENT_NON_COMPLIANCE", "ERROR_CONTENT_NON_COMPLIANCE",
        "ERROR_NO_FACE_IN_FILE", "ERROR_FACE_COUNT_INVALID", "ERROR_FACE_UNRECOGNIZABLE",
        "ERROR_FACE_SIZE_NOT_MEET_REQUIREMENTS", "ERROR_FACE_SIZE_RATIO_NOT_MET", "ERROR_SMALL_FACE_SIZE",
        "ERROR_FACE_COPY_SCENE_MISMATCH", "ERROR_POOR_FACE_QUALITY", "ERROR_BLURRY_FACE",
        "ERROR_OBSTRUCTED_FACE", "ERROR_POOR_FACE_LIGHTING", "ERROR_INCOMPLETE_FACE",
        "ERROR_FACE_NOT_FACING_FORWARD", "ERROR_QUALITY_SCORE_NOT_MEET_REQUIREMENTS",
        "ERROR_SCENE_TYPE_MISMATCH", "ERROR_CARTOON_FACE_NOT_SUPPORTED",
        "ERROR_TEMPLATE_IMAGE_QUALITY_TOO_LOW", "ERROR_ACTION_VERIFICATION_FAILED",
        "ERROR_LEFT_EYE_OCCLUSION_TOO_HIGH", "ERROR_RIGHT_EYE_OCCLUSION_TOO_HIGH",
        "ERROR_LEFT_FACE_OCCLUSION_TOO_HIGH", "ERROR_RIGHT_FACE_OCCLUSION_TOO_HIGH",
        "ERROR_CHIN_OCCLUSION_TOO_HIGH", "ERROR_NOSE_OCCLUSION_TOO_HIGH", "ERROR_MOUTH_OCCLUSION_TOO_HIGH",
        "ERROR_SYNTHESIS_DETECTION_FAILED", "ERROR_LIVENESS_DETECTION_FAILED",
        "ERROR_NO_RECOGNITION_TARGET_DETECTED", "ERROR_IMAGE_RECOGNITION_FAILED",
        "ERROR_POSE_NOT_ENOUGH_KEYPOINTS",
    ]
}
