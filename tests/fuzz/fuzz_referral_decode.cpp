// libFuzzer target: the partnership referral JSON decoder, then every encoder.
#include "decode_then_encode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    carebridge::fuzz::decode_then_encode(carebridge::translation::Format::referral, data, size);
    return 0;
}
