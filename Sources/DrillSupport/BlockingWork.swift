import Dispatch

/// Runs blocking C calls (libpq, file hashing, `waitpid`) on threads we own, so they never
/// hold a thread of Swift's cooperative pool, whose width is the core count.
public enum BlockingWork {
    private static let sharedQueue = DispatchQueue(
        label: "restore-drill.blocking", qos: .userInitiated, attributes: .concurrent)

    /// Runs `body` on `queue` (a shared concurrent queue by default) and returns its result.
    public static func run<T: Sendable>(
        on queue: DispatchQueue? = nil, _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            (queue ?? sharedQueue).async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
