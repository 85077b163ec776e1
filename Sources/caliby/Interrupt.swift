import Atomics
import Glibc

/// Ctrl-C during a long command: the first press asks the command to stop (it rolls back and exits
/// 130); the second kills the process, which is safe too — the journal undoes it at the next open.
enum Interrupt {
    nonisolated(unsafe) private static var requested = ManagedAtomic<Bool>(false)

    static func install() {
        requested.store(false, ordering: .relaxed)
        signal(SIGINT) { _ in
            if Interrupt.requested.load(ordering: .relaxed) { _exit(130) }
            Interrupt.requested.store(true, ordering: .relaxed)
        }
    }

    static var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Takes back a request. The REPL calls it at its prompt (where Ctrl-C cancels the line) and
    /// before each command, so a press that no command consumed does not count as the first of two.
    static func take() -> Bool { requested.exchange(false, ordering: .relaxed) }

    nonisolated(unsafe) private static var terminating = ManagedAtomic<Bool>(false)

    /// SIGTERM and SIGHUP, for the REPL: they stop the running command as Ctrl-C does, and the
    /// session ends (committing what is pending) once it returns. Installed without SA_RESTART so
    /// that a read blocked on the next line returns EINTR instead of waiting for more input.
    static func installTermination() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            Interrupt.terminating.store(true, ordering: .relaxed)
            Interrupt.requested.store(true, ordering: .relaxed)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGTERM, &action, nil)
        sigaction(SIGHUP, &action, nil)
    }

    static var isTerminationRequested: Bool { terminating.load(ordering: .relaxed) }
}
