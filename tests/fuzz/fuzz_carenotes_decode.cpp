// libFuzzer target: the care-notes export reader (streaming, XSD-validated),
// then the encoders on every client it accepts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "carenotes/carenotes_codec.hpp"
#include "translation/translator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace carebridge;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (auto strictness : {translation::Strictness::lenient, translation::Strictness::strict}) {
        issues::IssueSink sink;
        carenotes::ReaderOptions options;
        options.strictness = strictness;
        auto reader = carenotes::ExportReader::open_memory(text, options, sink);
        if (!reader) continue;
        model::PersonRecord record;
        for (int clients = 0; clients < 1000; ++clients) {
            const auto step = reader->next(record, sink);
            if (step == carenotes::ExportReader::Step::end || step == carenotes::ExportReader::Step::fatal) break;
            if (step != carenotes::ExportReader::Step::client) continue;
            for (auto to : {translation::Format::fhir, translation::Format::referral, translation::Format::carenotes}) {
                issues::IssueSink encode_sink;
                (void)translation::encode_document(to, record, false, encode_sink);
            }
        }
    }
    return 0;
}
