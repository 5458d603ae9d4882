import DrillSupport
import Foundation

/// Sends HTTP requests with libcurl on threads we own (a transfer blocks its thread), with
/// task cancellation stopping the transfer.
public enum HTTPClient {
    private static let queue = DispatchQueue(label: "restore-drill.http", qos: .userInitiated, attributes: .concurrent)

    /// Sends `request` and collects up to `bodyLimit` bytes of the body.
    public static func send(_ request: HTTPRequest, bodyLimit: Int = 1 << 20) async throws(HTTPError) -> HTTPResponse {
        try await transfer(CurlTransfer(request: request, bodyLimit: bodyLimit, sink: nil))
    }

    /// Sends `request` and hands a successful (2xx) body to `sink` chunk by chunk as it arrives
    /// (on the transfer's thread); `sink` returns false to stop. The response's `body` is then
    /// empty, or for an error status the start of the error body.
    public static func stream(
        _ request: HTTPRequest, into sink: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool
    ) async throws(HTTPError) -> HTTPResponse {
        try await transfer(CurlTransfer(request: request, bodyLimit: 0, sink: sink))
    }

    private static func transfer(_ transfer: CurlTransfer) async throws(HTTPError) -> HTTPResponse {
        let result: Result<HTTPResponse, HTTPError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                queue.async { continuation.resume(returning: Result { () throws(HTTPError) in try transfer.perform() }) }
            }
        } onCancel: {
            transfer.cancelled.withLock { $0 = true }
        }
        return try result.get()
    }
}
