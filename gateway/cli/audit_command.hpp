#pragma once
// `carebridge audit`: the audit log from the command line.
//
//   carebridge audit verify --config FILE [--data DIR] [--public-key FILE]
//
// | option            | meaning                                                          |
// |-------------------|------------------------------------------------------------------|
// | --config FILE     | the gateway config (required): where the store is                |
// | --data DIR        | the store's directory instead of the config's                    |
// | --public-key FILE | the key checkpoints are checked with; default                    |
// |                   | <store dir>/audit-signing-key.pub.pem                            |
//
// Opens the store read-only (a running gateway may keep appending), checks
// every entry and checkpoint (audit/log_verifier.hpp) and prints one line on
// stdout. Progress goes to stderr when it is a terminal.
// Exit status: 0 intact, 2 tampered (the line names the first bad entry),
// 1 usage or I/O error (no store, no key, unreadable file).

#include <span>
#include <string_view>

namespace carebridge::cli {

inline constexpr int exit_audit_tampered = 2;

int run_audit(std::span<const std::string_view> args);

}  // namespace carebridge::cli
