// libFuzzer target: the FHIR R4 JSON decoder, then every encoder.
#include "decode_then_encode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    carebridge::fuzz::decode_then_encode(carebridge::translation::Format::fhir, data, size);
    return 0;
}
