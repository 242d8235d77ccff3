// libFuzzer target: the care-notes export reader (streaming, XSD-validated),
// then every encoder on each client it accepts.
#include "carenotes/carenotes_codec.hpp"
#include "decode_then_encode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace carebridge;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (auto strictness : {codec::Strictness::lenient, codec::Strictness::strict}) {
        issues::IssueSink sink;
        carenotes::ReaderOptions options;
        options.strictness = strictness;
        auto reader = carenotes::ExportReader::open_memory(text, options, sink);
        if (!reader) continue;
        model::PersonRecord record;
        for (int clients = 0; clients < 1000; ++clients) {
            const auto step = reader->next(record, sink);
            if (step == carenotes::ExportReader::Step::end || step == carenotes::ExportReader::Step::fatal) break;
            if (step == carenotes::ExportReader::Step::client) fuzz::encode_everywhere(record);
        }
    }
    return 0;
}
