#pragma once
// The shape of every JSON fuzz target: decode in both strictness modes, then
// run every encoder on what the decoder accepted, so a record a decoder lets
// through cannot crash an encoder either.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "translation/translator.hpp"

namespace carebridge::fuzz {

inline void encode_everywhere(const model::PersonRecord& record) {
    for (auto to : {translation::Format::fhir, translation::Format::referral, translation::Format::carenotes}) {
        issues::IssueSink sink;
        (void)translation::encode_document(to, record, false, sink);
    }
}

inline void decode_then_encode(translation::Format from, const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (auto strictness : {codec::Strictness::lenient, codec::Strictness::strict}) {
        issues::IssueSink sink;
        codec::DecodeOptions options;
        options.strictness = strictness;
        if (auto record = translation::decode_document(from, text, options, sink)) encode_everywhere(*record);
    }
}

}  // namespace carebridge::fuzz
