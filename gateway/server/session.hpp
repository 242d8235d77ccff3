#pragma once
// One client connection, read top to bottom: (TLS handshake) → read a
// request's header → screen it → read its body within the route's limit →
// the pipeline → write the response → again while keep-alive. Plain and TLS
// sessions share this one implementation (Beast's server-flex shape, CRTP).

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "api/pipeline.hpp"

namespace carebridge::gateway::server {

// What every session shares with the server.
struct SessionContext {
    api::Pipeline& pipeline;
    http::Metrics& metrics;
    std::filesystem::path incoming_directory;  // care-notes exports are streamed here
    bool access_log = true;
    // Requests with a body are decoded, planned and answered here, off the
    // threads that read and write sockets, so a document that is slow to
    // parse never keeps /healthz or another client waiting. Null: in the
    // session's own thread (the test stream).
    boost::asio::thread_pool* work = nullptr;
    std::atomic<long> in_flight{0};            // requests between header read and response written
    std::atomic<std::uint64_t> next_upload{0};

    SessionContext(api::Pipeline& p, http::Metrics& m) : pipeline(p), metrics(m) {}
};

// Starts serving an accepted connection; it owns itself from here on. A TLS
// session holds its context, so a reload that swaps in a new certificate
// leaves connections made under the old one working to their end.
void start_plain_session(boost::asio::ip::tcp::socket socket, SessionContext& context);
void start_tls_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> tls,
                       SessionContext& context);

}  // namespace carebridge::gateway::server
