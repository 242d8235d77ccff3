#pragma once
// `carebridge translate`: the offline translation IT teams use to test a
// mapping before they connect a system.
//
// | option            | meaning                                                    |
// |-------------------|------------------------------------------------------------|
// | --from FORMAT     | fhir, carenotes, referral or fhir-stu3 (required)          |
// | --to FORMAT       | fhir, carenotes or referral (required)                     |
// | --strict          | unknown elements are errors instead of warnings            |
// | --compact         | one-line JSON instead of indented                          |
// | --quiet           | no OperationOutcome on stderr when there are only warnings |
// | FILE or -         | the input; stdin when absent                               |
//
// Exit status: 0 translated (warnings allowed), 2 invalid input, 1 usage or I/O error.

#include <span>
#include <string_view>

namespace carebridge::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_io_or_usage = 1;
inline constexpr int exit_invalid_input = 2;

int run_translate(std::span<const std::string_view> args);

std::string_view translate_help();

}  // namespace carebridge::cli
