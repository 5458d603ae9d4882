import CLibPQ
import Dispatch
import DrillSupport
import Foundation
import Synchronization

/// One libpq connection. Every libpq call runs on the connection's own serial queue, so
/// blocking network waits never occupy the cooperative thread pool; cancelling the calling
/// task sends a server-side cancel request (`PQcancel`), which is safe from any thread.
public final class PostgresConnection: @unchecked Sendable {
    // Only touched on `queue`.
    private let handle: LibPQHandle
    private let queue: DispatchQueue
    private let noticeBox: NoticeBox
    private let closed = Mutex(false)
    /// Where this connection goes, for messages.
    public let parameters: ConnectionParameters

    private init(handle: OpaquePointer, queue: DispatchQueue, parameters: ConnectionParameters) {
        self.handle = LibPQHandle(raw: handle)
        self.queue = queue
        self.parameters = parameters
        self.noticeBox = NoticeBox()
        let context = Unmanaged.passUnretained(noticeBox).toOpaque()
        PQsetNoticeReceiver(handle, { context, result in
            guard let context, let result else { return }
            let box = Unmanaged<NoticeBox>.fromOpaque(context).takeUnretainedValue()
            let severity = PostgresConnection.field(result, rd_diag_severity) ?? "NOTICE"
            let message = PostgresConnection.field(result, rd_diag_message_primary) ?? ""
            box.append(PostgresNotice(severity: severity, message: message))
        }, context)
    }

    /// Opens a connection; throws `connectionFailed` with libpq's message when it cannot.
    public static func connect(_ parameters: ConnectionParameters) async throws(PostgresError) -> PostgresConnection {
        // libpq fills every keyword not given from PG* variables (PGSERVICE first): none may steer us.
        LibpqEnvironment.scrubProcess()
        let queue = DispatchQueue(label: "restore-drill.libpq.\(parameters.host):\(parameters.port)")
        let outcome: Result<PostgresConnection, PostgresError>
        do {
            outcome = try await BlockingWork.run(on: queue) { () -> Result<PostgresConnection, PostgresError> in
                let pairs = parameters.keywords
                let keys = pairs.map { strdup($0.0) } + [nil]
                let values = pairs.map { strdup($0.1) } + [nil]
                defer { (keys + values).forEach { free($0) } }
                let handle = keys.map { UnsafePointer($0) }.withUnsafeBufferPointer { keyBuffer in
                    values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valueBuffer in
                        PQconnectdbParams(keyBuffer.baseAddress, valueBuffer.baseAddress, 0)
                    }
                }
                guard let handle else {
                    return .failure(PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection", target: parameters.description))
                }
                guard PQstatus(handle) == CONNECTION_OK else {
                    let message = String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
                    PQfinish(handle)
                    return .failure(PostgresError(code: .connectionFailed, message: SecretMasker.shared.mask(message), target: parameters.description))
                }
                return .success(PostgresConnection(handle: handle, queue: queue, parameters: parameters))
            }
        } catch {
            throw PostgresError(code: .connectionFailed, message: "\(error)", target: parameters.description)
        }
        return try outcome.get()
    }

    /// Runs one statement with `$1...` parameters (text format). NULL parameters are `nil`.
    public func query(_ sql: String, _ parameters: [String?] = []) async throws(PostgresError) -> QueryResult {
        try await perform { handle in
            let values = parameters.map { $0.map { strdup($0) } ?? nil }
            defer { values.forEach { free($0) } }
            return values.map { UnsafePointer($0) }.withUnsafeBufferPointer { buffer in
                PQexecParams(handle, sql, Int32(parameters.count), nil, buffer.baseAddress, nil, nil, 0)
            }
        }
    }

    /// Runs a script of one or more statements (simple-query protocol); returns the last result.
    public func execute(_ script: String) async throws(PostgresError) -> QueryResult {
        try await perform { handle in PQexec(handle, script) }
    }

    /// Runs `COPY ... FROM STDIN` and streams the file at `path` into it, 64 KiB at a time.
    /// Returns the command result (its tag says `COPY n`); a file that cannot be read aborts
    /// the COPY, so the server rolls it back.
    public func copyIn(_ sql: String, fromFile path: String) async throws(PostgresError) -> QueryResult {
        try await perform { handle in
            guard let start = PQexec(handle, sql) else { return nil }
            guard PQresultStatus(start) == PGRES_COPY_IN else { return start }
            PQclear(start)
            var failure: String?
            if let file = fopen(path, "rb") {
                var buffer = [CChar](repeating: 0, count: 64 * 1024)
                while true {
                    let count = fread(&buffer, 1, buffer.count, file)
                    if count > 0, PQputCopyData(handle, buffer, Int32(count)) != 1 { break }
                    if count < buffer.count {
                        if ferror(file) != 0 { failure = "reading \(path) failed: \(String(cString: strerror(errno)))" }
                        break
                    }
                }
                fclose(file)
            } else {
                failure = "cannot open \(path): \(String(cString: strerror(errno)))"
            }
            _ = PQputCopyEnd(handle, failure)
            let result = PQgetResult(handle)
            while let extra = PQgetResult(handle) { PQclear(extra) }
            return result
        }
    }

    /// The server's `server_version` (e.g. `15.18`).
    public func serverVersion() async throws(PostgresError) -> String {
        try await query("SHOW server_version").value() ?? "unknown"
    }

    /// Closes the connection. Safe to call more than once.
    public func close() {
        let wasClosed = closed.withLock { value in
            defer { value = true }
            return value
        }
        guard !wasClosed else { return }
        let handle = self.handle
        let box = noticeBox
        queue.async {
            PQfinish(handle.raw)
            // The notice receiver's context pointer is unretained: keep the box alive until libpq is done with it.
            withExtendedLifetime(box) {}
        }
    }

    deinit {
        if !closed.withLock({ $0 }) { PQfinish(handle.raw) }
    }

    private func perform(_ run: @escaping @Sendable (OpaquePointer) -> OpaquePointer?) async throws(PostgresError) -> QueryResult {
        guard !closed.withLock({ $0 }) else {
            throw PostgresError(code: .connectionLost, message: "the connection is closed", target: parameters.description)
        }
        let handle = self.handle
        let target = parameters.description
        let box = noticeBox
        let cancel = Mutex<LibPQHandle?>(nil)
        let cancelRequested = Atomic<Bool>(false)
        let outcome: Result<QueryResult, PostgresError>
        do {
            outcome = try await withTaskCancellationHandler {
                try await BlockingWork.run(on: queue) { () -> Result<QueryResult, PostgresError> in
                    cancel.withLock { $0 = PQgetCancel(handle.raw).map(LibPQHandle.init(raw:)) }
                    defer { cancel.withLock { PQfreeCancel($0?.raw); $0 = nil } }
                    if cancelRequested.load(ordering: .relaxed) {
                        return .failure(PostgresError(code: .cancelled, message: "cancelled before it started", target: target))
                    }
                    box.drain()
                    let result = run(handle.raw)
                    defer { PQclear(result) }
                    return Self.read(result, handle: handle.raw, notices: box.drain(), target: target)
                }
            } onCancel: {
                cancelRequested.store(true, ordering: .relaxed)
                cancel.withLock { pointer in
                    guard let pointer else { return }
                    var buffer = [CChar](repeating: 0, count: 256)
                    _ = PQcancel(pointer.raw, &buffer, 256)
                }
            }
        } catch {
            throw PostgresError(code: .connectionLost, message: "\(error)", target: target)
        }
        switch outcome {
        case .success(let value): return value
        case .failure(var error):
            if cancelRequested.load(ordering: .relaxed), error.sqlState == "57014" { error.code = .cancelled }
            throw error
        }
    }

    private static func read(_ result: OpaquePointer?, handle: OpaquePointer, notices: [PostgresNotice], target: String)
        -> Result<QueryResult, PostgresError>
    {
        guard let result else {
            let message = String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
            return .failure(PostgresError(code: .connectionLost, message: message, target: target))
        }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            let columnCount = Int(PQnfields(result))
            let columns = (0..<columnCount).map { index in
                QueryResult.Column(name: String(cString: PQfname(result, Int32(index))), typeOID: PQftype(result, Int32(index)))
            }
            let rows = (0..<Int(PQntuples(result))).map { row in
                (0..<columnCount).map { column -> String? in
                    PQgetisnull(result, Int32(row), Int32(column)) == 1
                        ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
                }
            }
            return .success(QueryResult(columns: columns, rows: rows, commandTag: String(cString: PQcmdStatus(result)), notices: notices))
        default:
            let sqlState = field(result, rd_diag_sqlstate)
            let message = field(result, rd_diag_message_primary)
                ?? String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
            let lost = PQstatus(handle) != CONNECTION_OK
            return .failure(
                PostgresError(
                    code: lost ? .connectionLost : (sqlState == "57014" ? .cancelled : .queryFailed), sqlState: sqlState,
                    message: message, detail: field(result, rd_diag_message_detail), hint: field(result, rd_diag_message_hint),
                    target: target))
        }
    }

    fileprivate static func field(_ result: OpaquePointer, _ code: Int32) -> String? {
        guard let pointer = PQresultErrorField(result, code) else { return nil }
        return String(cString: pointer)
    }
}

/// A libpq pointer that may cross threads because only the connection's serial queue uses it
/// (and `PGcancel`, which libpq documents as safe to use from another thread).
struct LibPQHandle: @unchecked Sendable {
    let raw: OpaquePointer
}

/// Collects notices the server sends; the libpq callback appends from the connection's queue.
private final class NoticeBox: Sendable {
    private let notices = Mutex<[PostgresNotice]>([])

    func append(_ notice: PostgresNotice) { notices.withLock { $0.append(notice) } }

    @discardableResult
    func drain() -> [PostgresNotice] {
        notices.withLock { value in
            defer { value.removeAll() }
            return value
        }
    }
}
