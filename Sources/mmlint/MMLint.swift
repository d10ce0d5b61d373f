import ArgumentParser
import Foundation
import MMLintCore
import MMLintEngine
import MMLintReporters

/// The `mmlint` command.
struct MMLint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mmlint",
        abstract: "Find mm API misuse in Linux kernel C: remap in fault handlers, follow_pfn() and friends.",
        discussion: "Exit status: 0 no findings, 1 findings, 2 usage or input error, or a file that could not be analysed.",
        version: ToolInfo.version,
        subcommands: [Scan.self, Check.self, Fix.self, Review.self, Flags.self, Kbuild.self, Bot.self, InstallHook.self,
                      Rules.self, Explain.self])
}

/// Exit status as documented: 0 clean, 1 findings, 2 errors.
enum Status: Int32 {
    case clean = 0, findings = 1, error = 2
}

/// One line on stderr per file that could not be analysed, even with -q:
/// the run is incomplete and exits 2.
func printFailures(_ report: Report) {
    for failure in report.failures { printError("mmlint: error: " + report.failureLine(failure)) }
}

/// Runs a command's work and exits with the status it returns. An error
/// that says what to do (a usage or input error: `EngineError`, and the
/// input errors of the patch and check layers) is printed once, handed to
/// `alsoReport` for a format that must carry it too, and exits 2; any other
/// error goes on to `main`, which also exits 2.
func exitWithStatus(of work: () throws -> Status, alsoReport: (String) -> Void = { _ in }) throws -> Never {
    let status: Status
    do {
        status = try work()
    } catch let error as CustomStringConvertible & Error {
        printError("mmlint: " + error.description)
        alsoReport(error.description)
        status = .error
    }
    throw ExitCode(status.rawValue)
}

extension OutputFormat: ExpressibleByArgument {}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}

/// Argument errors exit 2 (ArgumentParser's default is 64), with its message.
@main
enum Main {
    static func main() {
        let arguments = CommandLine.arguments
        if arguments.count == 2, arguments[1] == ParseIsolation.workerArgument {
            // _exit: the parent waits for its workers to end before it does,
            // and libclang's static destructors cost that wait 10 ms for nothing
            // (replies are written with write(2): no buffered output is lost).
            _exit(ParseWorkerServer.serve())
        }
        // Parses run in worker processes (re-executions of this binary), so a
        // file that crashes or hangs libclang costs that file only.
        // MMLINT_PARSE_IN_PROCESS=1 keeps them in this process (faster start, no fault isolation).
        switch ParseIsolation.timeout(from: ProcessInfo.processInfo.environment) {
        case .success where ProcessInfo.processInfo.environment["MMLINT_PARSE_IN_PROCESS"] == "1":
            break
        case .success(let timeout):
            // Workers load while the input is read and flags are planned (they
            // cost ~0.05 s of CPU each, no wall time). Not for a scan: its
            // prefilter reads the tree first, and workers started then would
            // add their memory to the prefilter's peak for nothing.
            let parsesForSure = arguments.count > 1 && ["check", "review"].contains(arguments[1])
                && !arguments.contains { ["-h", "--help", "--version"].contains($0) }
            ParseIsolation.configure(.init(command: [selfExecutable(), ParseIsolation.workerArgument], timeout: timeout),
                                     prestart: parsesForSure ? ProcessInfo.processInfo.activeProcessorCount : 0)
        case .failure(let error):
            printError("mmlint: " + error.description)
            exit(Status.error.rawValue)
        }
        do {
            var command = try MMLint.parseAsRoot()
            try command.run()
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch let error as CleanExit {
            MMLint.exit(withError: error)
        } catch {
            let code = MMLint.exitCode(for: error)
            if code == .success {
                MMLint.exit(withError: error)
            }
            printError("mmlint: " + MMLint.fullMessage(for: error))
            exit(Status.error.rawValue)
        }
    }
}

/// This binary's path, for re-executing it as a parse worker.
func selfExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}
