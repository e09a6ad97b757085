// The `county_hub user` command, which keeps the dashboard's users file
// (county_hub/web_login.h), and the users of `serve --users`:
//
//   county_hub user add --users=FILE --name=NAME     (creates FILE if missing;
//       the password from stdin: one line, or on a terminal typed twice
//       without echo; an existing NAME gets the new password)
//   county_hub user remove --users=FILE --name=NAME
//   county_hub user list --users=FILE                (one name a line)
//
// Exit status: 0 done, 1 a file that cannot be read or written (or an
// unknown name to remove), 2 bad usage (a bad name, a password of fewer than
// 8 characters, two that differ, an unknown action). A failure changes
// nothing in the file.
//
// For a program's main thread only: it reads stdin, changes the terminal's
// echo and exits the process (common/cli.h).
#ifndef SANJI_COUNTY_HUB_USER_COMMAND_H_
#define SANJI_COUNTY_HUB_USER_COMMAND_H_

#include <memory>
#include <string>
#include <vector>

#include "county_hub/web_login.h"

namespace sanji {

// Runs `county_hub user ACTION` (`args` are the words after `user`) on the
// users file `users` (--users) for `name` (--name); returns the exit status
// or exits.
int UserCommand(const std::vector<std::string>& args, const std::string& users,
                const std::string& name);

// The login of `serve --users=FILE`: exits 2 when `users` is empty (a
// dashboard on a non-loopback address needs it) and 1 when the file cannot
// be loaded or names nobody, saying what to do.
std::unique_ptr<WebLogin> WebLoginOrExit(const std::string& users);

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_USER_COMMAND_H_
