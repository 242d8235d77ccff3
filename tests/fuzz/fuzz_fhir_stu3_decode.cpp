// libFuzzer target: the FHIR STU3 JSON decoder (rewritten into R4 and read by
// the R4 decoder), its STU3 detection, then every encoder.
#include "decode_then_encode.hpp"
#include "fhir_stu3/stu3_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)carebridge::fhir_stu3::declares_stu3(std::string_view(reinterpret_cast<const char*>(data), size), {});
    carebridge::fuzz::decode_then_encode(carebridge::translation::Format::fhir_stu3, data, size);
    return 0;
}
