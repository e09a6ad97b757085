#include "common/cli.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sanji {
namespace {

std::string& ProgramName() {
  static auto* name = new std::string("sanji");
  return *name;
}

}  // namespace

void ExitUsage(absl::string_view message) {
  std::fprintf(stderr, "%s: %.*s\nRun '%s --help' for usage.\n",
               ProgramName().c_str(), static_cast<int>(message.size()),
               message.data(), ProgramName().c_str());
  std::exit(2);
}

void ExitFailure(absl::string_view message) {
  std::fprintf(stderr, "%s: %.*s\n", ProgramName().c_str(),
               static_cast<int>(message.size()), message.data());
  std::exit(1);
}

void RequireFlag(absl::string_view flag, const std::string& value) {
  if (value.empty()) ExitUsage(absl::StrCat("--", flag, " is required"));
}

CommandLine ParseCommandLineOrExit(
    int argc, char** argv, absl::string_view usage,
    const std::vector<std::string>& subcommands) {
  std::string program = argc > 0 ? argv[0] : "sanji";
  size_t slash = program.rfind('/');
  ProgramName() =
      slash == std::string::npos ? program : program.substr(slash + 1);

  CommandLine cl;
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (only_positional || !absl::StartsWith(arg, "-") || arg == "-") {
      if (cl.subcommand.empty()) {
        cl.subcommand = std::string(arg);
      } else {
        cl.args.emplace_back(arg);
      }
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    if (arg == "--help" || arg == "-h" || arg == "-help") {
      std::fprintf(stdout, "%.*s\n", static_cast<int>(usage.size()),
                   usage.data());
      std::exit(0);
    }
    arg.remove_prefix(absl::StartsWith(arg, "--") ? 2 : 1);
    size_t eq = arg.find('=');
    absl::string_view name = arg.substr(0, eq);
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    std::string value;
    if (eq != absl::string_view::npos) {
      value = std::string(arg.substr(eq + 1));
    } else if (flag != nullptr && flag->IsOfType<bool>()) {
      value = "true";
    } else if (flag == nullptr && absl::StartsWith(name, "no") &&
               (flag = absl::FindCommandLineFlag(name.substr(2))) != nullptr &&
               flag->IsOfType<bool>()) {
      value = "false";
    } else if (flag != nullptr) {
      ExitUsage(absl::StrCat("--", name, " needs a value: --", name, "=VALUE"));
    }
    if (flag == nullptr) ExitUsage(absl::StrCat("unknown flag --", name));
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      ExitUsage(absl::StrCat("bad value for --", name, ": ", error));
    }
  }
  if (cl.subcommand.empty()) {
    ExitUsage(absl::StrCat("missing command: one of ",
                           absl::StrJoin(subcommands, ", ")));
  }
  bool known = false;
  for (const std::string& s : subcommands) known = known || s == cl.subcommand;
  if (!known) {
    ExitUsage(absl::StrCat("unknown command '", cl.subcommand, "': use one of ",
                           absl::StrJoin(subcommands, ", ")));
  }
  return cl;
}

}  // namespace sanji
