// Command lines of the form `PROGRAM SUBCOMMAND --flag=value ... [ARG...]`
// (interfaces.md).
//
// Flags are Abseil flags, but parsed here so that bad usage (an unknown flag, a
// value that does not parse, a missing subcommand) exits with status 2 and a
// message saying what to do, as the spec requires; Abseil's own parser exits
// with 1.
#ifndef SANJI_COMMON_CLI_H_
#define SANJI_COMMON_CLI_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace sanji {

struct CommandLine {
  std::string subcommand;
  std::vector<std::string> args;  // positional arguments after the subcommand
};

// Parses argv; prints `usage` and exits 0 on --help; exits 2 on bad usage.
CommandLine ParseCommandLineOrExit(int argc, char** argv,
                                   absl::string_view usage,
                                   const std::vector<std::string>& subcommands);

// Prints "PROGRAM: message" and `Run '<program> --help' for usage.` and
// exits 2.
[[noreturn]] void ExitUsage(absl::string_view message);
// Prints "PROGRAM: message" and exits 1 (a failure at run time).
[[noreturn]] void ExitFailure(absl::string_view message);

// Exits 2 unless `value` is non-empty, naming --flag.
void RequireFlag(absl::string_view flag, const std::string& value);

}  // namespace sanji

#endif  // SANJI_COMMON_CLI_H_
