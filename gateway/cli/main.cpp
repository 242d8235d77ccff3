// carebridge: the partnership's interoperability gateway, one binary.

#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit_command.hpp"
#include "serve_command.hpp"
#include "translate_command.hpp"

namespace {

constexpr std::string_view help_text = R"(Usage: carebridge COMMAND [OPTIONS]

carebridge translates referrals, care plans and records between FHIR R4 (UK
Core), the Trust EPR's care-notes XML export and the partnership referral JSON.

Commands:
  serve       run the gateway (carebridge serve --help)
  translate   translate a document or a care-notes export between formats
              (carebridge translate --help)
  audit       check the audit log: carebridge audit verify (carebridge audit --help)

Options:
  -h, --help     this text
  --version      the version
)";

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::fputs(help_text.data(), stderr);
        return carebridge::cli::exit_io_or_usage;
    }
    const std::string_view command = args.front();
    const std::span<const std::string_view> rest(args.data() + 1, args.size() - 1);
    if (command == "-h" || command == "--help" || command == "help") {
        std::fputs(help_text.data(), stdout);
        return carebridge::cli::exit_ok;
    }
    if (command == "--version") {
        std::puts("carebridge 0.1.0");
        return carebridge::cli::exit_ok;
    }
    if (command == "translate") return carebridge::cli::run_translate(rest);
    if (command == "serve") return carebridge::cli::run_serve(rest);
    if (command == "audit") return carebridge::cli::run_audit(rest);
    std::fprintf(stderr, "carebridge: unknown command '%s' (see carebridge --help)\n", std::string(command).c_str());
    return carebridge::cli::exit_io_or_usage;
}
