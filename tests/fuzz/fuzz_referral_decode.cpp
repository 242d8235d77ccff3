// libFuzzer target: the partnership referral JSON decoder, then the encoders on whatever it
// accepts, so a record the decoder lets through cannot crash an encoder either.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "referral_json/referral_codec.hpp"
#include "translation/translator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace carebridge;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (auto strictness : {translation::Strictness::lenient, translation::Strictness::strict}) {
        issues::IssueSink sink;
        translation::DecodeOptions options;
        options.strictness = strictness;
        auto record = referral_json::decode(text, options, sink);
        if (!record) continue;
        for (auto to : {translation::Format::fhir, translation::Format::referral, translation::Format::carenotes}) {
            issues::IssueSink encode_sink;
            (void)translation::encode_document(to, *record, false, encode_sink);
        }
    }
    return 0;
}
