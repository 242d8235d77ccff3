// libFuzzer target: the FHIR Task decoder (a referral's status from a partner),
// strict and lenient, with the issues it reports.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fhir/decode_task.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view json(reinterpret_cast<const char*>(data), size);
    for (const auto strictness : {carebridge::codec::Strictness::lenient, carebridge::codec::Strictness::strict}) {
        carebridge::codec::DecodeOptions options;
        options.strictness = strictness;
        carebridge::issues::IssueSink sink;
        const auto task = carebridge::fhir::decode_task(json, options, sink);
        // A Task decoded without a fatal issue; one refused always says why.
        if (!task && sink.empty()) __builtin_trap();
    }
    return 0;
}
