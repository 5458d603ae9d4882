import Checks
import DrillSupport
import Foundation
import Provisioning
import Reports

extension DrillRunner {
    /// The services phase: starts each application process against the restored database and
    /// waits until it is ready. Started ones go into `state` at once, so teardown stops them
    /// whatever happens next.
    func startServices(_ plan: DrillPlan, context: inout CheckContext, recorder: PhaseRecorder, state: inout DrillState) async throws {
        guard !plan.file.services.isEmpty else { return }
        var started: [RunningService] = []
        defer { state.services = started }
        let teardown = state.teardown
        let base = context
        let variables = try await recorder.phase("services") { suite in
            var scoped = base
            for definition in plan.file.services {
                let start = ContinuousClock.now
                progress.detail("starting service \(definition.name)")
                do throws(ServiceError) {
                    let service = try await RunningService.start(definition, port: definition.port ?? FreePort.pick(), context: scoped)
                    started.append(service)
                    // Released on every path, also when the phases stop before stopServices reports it.
                    teardown.push("service \(definition.name)") {
                        await service.stop()
                        return []
                    }
                    scoped.variables["service.\(definition.name).url"] = service.url
                    scoped.variables["service.\(definition.name).port"] = String(service.port)
                    suite.cases.append(
                        ReportCase(
                            name: "service \(definition.name) is ready", status: .passed, seconds: (ContinuousClock.now - start).seconds,
                            output: "\(definition.program) \(definition.arguments.joined(separator: " ")) on \(service.url)"))
                } catch {
                    var item = ReportCase(
                        name: "service \(definition.name) is ready", status: .error, seconds: (ContinuousClock.now - start).seconds,
                        message: error.description, detail: error.log.isEmpty ? nil : "--- \(definition.name) log ---\n" + error.log)
                    item.errorOutput = error.log
                    suite.cases.append(item)
                    break
                }
            }
            return scoped.variables
        }
        context.variables = variables
    }

    /// Stops every service (process group) before the server goes; their logs go into the report
    /// when the drill did not pass, so a failed check can be read next to what the app said.
    func stopServices(_ services: [RunningService], recorder: PhaseRecorder) async -> ReportSuite? {
        guard !services.isEmpty else { return nil }
        let drillFailed = recorder.suites.flatMap(\.cases).contains { $0.status == .failed || $0.status == .error }
        var cases: [ReportCase] = []
        for service in services {
            let start = ContinuousClock.now
            let wasRunning = service.isRunning
            await service.stop()
            var item = ReportCase(
                name: "service \(service.definition.name) stopped", status: .passed, seconds: (ContinuousClock.now - start).seconds,
                output: wasRunning ? "its process group was stopped" : "it had already exited")
            if drillFailed { item.errorOutput = service.logTail }
            if !wasRunning {
                item.status = .error
                item.message = "service \(service.definition.name) exited while the checks ran"
                item.errorOutput = service.logTail
            }
            cases.append(item)
        }
        return ReportSuite(name: "services-teardown", kind: .phase, cases: cases)
    }
}
