// Clean shutdown on SIGTERM/SIGINT for the `serve` commands.
#ifndef SANJI_COMMON_SHUTDOWN_H_
#define SANJI_COMMON_SHUTDOWN_H_

namespace sanji {

// Blocks SIGTERM and SIGINT in the calling thread and every thread started
// after it; call it first thing in main, before any thread exists.
void BlockShutdownSignals();
// Waits for SIGTERM or SIGINT; returns the signal number.
int WaitForShutdownSignal();

}  // namespace sanji

#endif  // SANJI_COMMON_SHUTDOWN_H_
