// libFuzzer target: the gateway's HTTP request path without sockets. Bytes
// are parsed as an HTTP/1.1 request by Beast (with the gateway's header
// limit), screened and handled by the pipeline, and committed to a real
// SQLite store on tmpfs — the path every request from outside takes.
#include <unistd.h>

#include <boost/beast/http.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "api/pipeline.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "translation/translator.hpp"

namespace {

namespace bhttp = boost::beast::http;
using namespace carebridge::gateway;

// The demo token demo-trust (submitter) and demo-admin, hashed as in config/demo.json.
constexpr const char* config_text = R"({
  "schema": "carebridge-config/1",
  "listener": { "host": "127.0.0.1", "port": 0, "plain_http": true },
  "store": "sqlite:STORE",
  "limits": { "rate_per_second": 1000000, "burst": 1000000 },
  "organisations": {
    "trust": { "ods": "RZZ", "name": "Westshire Mental Health NHS Trust", "type": "trust" }
  },
  "clients": [
    { "id": "trust-epr", "organisation": "trust", "roles": ["submitter"],
      "token_sha256": "25ce54f4ee5287ecd5f22761bbcdc8f0ff6cc8f4630d1790925585242b9d15b2" },
    { "id": "gateway-admin", "organisation": "trust", "roles": ["admin"],
      "token_sha256": "cce7a2cf1ae045989cfc914fb95a41526f167a838b3c7d33745143614abace7c" }
  ]
})";

struct Gateway {
    std::filesystem::path directory;
    std::unique_ptr<store::Store> store;
    http::Metrics metrics;
    std::unique_ptr<api::Pipeline> pipeline;

    Gateway() {
        // tmpfs when there is one: an fsync per input would make fuzzing crawl.
        const std::filesystem::path base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
        directory = base / ("carebridge-fuzz-http-" + std::to_string(::getpid()));
        std::filesystem::create_directories(directory);
        std::string text = config_text;
        text.replace(text.find("STORE"), 5, directory.string());
        std::string error;
        auto config = config::parse_config(text, directory.string(), error);
        if (!config) {
            std::fprintf(stderr, "fuzz config: %s\n", error.c_str());
            std::abort();
        }
        store::SqliteOptions options;
        options.directory = directory.string();
        std::error_code ec;
        store = store::open_sqlite_store(options, ec, error);
        if (!store) {
            std::fprintf(stderr, "fuzz store: %s\n", error.c_str());
            std::abort();
        }
        pipeline = std::make_unique<api::Pipeline>(std::make_shared<const config::Config>(std::move(*config)),
                                                    *store, metrics);
    }
    ~Gateway() {
        store->close();
        std::error_code ignored;
        std::filesystem::remove_all(directory, ignored);
    }
};

Gateway& gateway() {
    static Gateway g;
    return g;
}

http::Method method_of(bhttp::verb verb) {
    switch (verb) {
        case bhttp::verb::get: return http::Method::get;
        case bhttp::verb::head: return http::Method::head;
        case bhttp::verb::post: return http::Method::post;
        default: return http::Method::other;
    }
}

}  // namespace

// RapidJSON 1.1 (Debian's) loses the property-name copies it makes in
// Schema::AddUniqueElement while compiling a schema: a few hundred bytes once
// per compiled schema (the referral schema once per thread, the config schema
// once), never per request. LeakSanitizer is told of that one function.
extern "C" const char* __lsan_default_suppressions() { return "leak:AddUniqueElement\n"; }

// The store, the config and each thread's compiled schemas are made once,
// before inputs are run: RapidJSON 1.1 loses a few bytes building a schema,
// once per thread, which is not what the per-input leak check is for.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    gateway();
    carebridge::issues::IssueSink sink;
    carebridge::codec::DecodeOptions options;
    for (auto format : {carebridge::translation::Format::referral, carebridge::translation::Format::fhir,
                        carebridge::translation::Format::carenotes})
        carebridge::translation::decode_document(format, "{}", options, sink);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Gateway& g = gateway();
    bhttp::request_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.header_limit(16 * 1024);
    parser.body_limit(1 << 20);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(data, size), ec);
    if (!ec && !parser.is_done()) parser.put_eof(ec);
    if (ec || !parser.is_header_done()) return 0;

    const auto& message = parser.get();
    http::Request request;
    request.method = method_of(message.method());
    request.target = std::string(message.target());
    request.content_type = std::string(message[bhttp::field::content_type]);
    request.content_length = std::string(message[bhttp::field::content_length]);
    request.accept = std::string(message[bhttp::field::accept]);
    request.authorization = std::string(message[bhttp::field::authorization]);
    request.idempotency_key = std::string(message["Idempotency-Key"]);
    api::Screened screened;
    if (g.pipeline->screen(request, screened)) return 0;
    if (!parser.is_done()) return 0;
    request.body = message.body();
    std::filesystem::path upload;
    if (screened.body_to_file) {
        upload = g.directory / "export.xml";
        std::ofstream(upload, std::ios::binary) << request.body;
        request.body_file = upload.string();
        request.body.clear();
    }
    std::promise<http::Response> replied;
    auto response = replied.get_future();
    g.pipeline->handle(std::move(request), screened,
                       [&replied](http::Response r) { replied.set_value(std::move(r)); });
    const http::Response r = response.get();
    if (r.status < 100 || r.status > 599) std::abort();
    return 0;
}
