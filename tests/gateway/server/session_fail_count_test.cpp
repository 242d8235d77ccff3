// The session over Beast's in-memory test::stream with a fail count: the
// n-th read or write of the stream fails, for n = 0, 1, 2, … until a request
// goes through whole. At each failure point the session must end on its own:
// the session object destroyed, no connection left open, no request left in
// flight, and the io_context out of work (nothing pending). The ASan build
// runs the same loop and catches anything leaked.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/fail_count.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "api/pipeline.hpp"
#include "config/config.hpp"
#include "server/test_stream_session.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "support/gateway_fixture.hpp"

namespace carebridge::testing {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;

// The demo partnership's pipeline on a real SQLite store, as the server builds it.
class SessionOverTestStream : public ::testing::Test {
protected:
    void SetUp() override {
        std::string error;
        auto config = gateway::config::load_config(std::string(CAREBRIDGE_SOURCE_DIR) + "/config/demo.json", error);
        ASSERT_TRUE(config) << error;
        config->store.sqlite_directory = temp.path().string();
        gateway::store::SqliteOptions options;
        options.directory = temp.path().string();
        std::error_code ec;
        store = gateway::store::open_sqlite_store(options, ec, error);
        ASSERT_TRUE(store) << error;
        pipeline = std::make_unique<gateway::api::Pipeline>(
            std::make_shared<const gateway::config::Config>(std::move(*config)), *store, metrics);
        sessions = std::make_unique<gateway::server::SessionContext>(*pipeline, metrics);
        sessions->incoming_directory = temp.path() / "incoming";
        std::filesystem::create_directories(sessions->incoming_directory);
        sessions->access_log = false;
    }
    void TearDown() override {
        sessions.reset();
        pipeline.reset();
        if (store) store->close();
    }

    struct Attempt {
        bool answered = false;  // the client read a whole response
        unsigned status = 0;
    };

    // One connection whose server side fails at its n-th operation: the
    // client writes `request`, reads the answer, then hangs up.
    Attempt attempt(std::size_t n, const std::string& request) {
        net::io_context io;
        beast::test::fail_count fails(n);
        beast::test::stream server_side(io, fails);
        beast::test::stream client(io);
        client.connect(server_side);
        server_side.append(request);  // what the client sent, waiting to be read; appending is not counted

        Attempt result;
        beast::flat_buffer buffer;
        bhttp::response<bhttp::string_body> response;
        const std::weak_ptr<void> session = gateway::server::start_test_stream_session(std::move(server_side), *sessions);
        bhttp::async_read(client, buffer, response, [&](beast::error_code ec, std::size_t) {
            result.answered = !ec;
            result.status = response.result_int();
            client.close();  // the server side reads end-of-stream and closes
        });
        // Returns only when nothing is pending: every handler ran, none is left waiting.
        io.run();
        EXPECT_TRUE(session.expired()) << "fail point " << n << ": the session outlived its connection";
        EXPECT_EQ(metrics.open_connections(), 0) << "fail point " << n;
        EXPECT_EQ(sessions->in_flight.load(), 0) << "fail point " << n << ": a request was left in flight";
        return result;
    }

    // Loops over the fail points until the request goes through; each one
    // before it must end cleanly, and none may answer a success it could not send.
    void every_fail_point(const std::string& request, unsigned expected_status) {
        std::size_t n = 0;
        for (; n < 200; ++n) {
            const Attempt a = attempt(n, request);
            if (a.answered && a.status == expected_status) break;
            if (a.answered) {
                EXPECT_GE(a.status, 400u) << "fail point " << n;
            }
        }
        EXPECT_LT(n, 200u) << "the request never went through";
        EXPECT_GT(n, 0u) << "the first operation's failure must stop the request";
    }

    TempDir temp;
    std::unique_ptr<gateway::store::Store> store;
    gateway::http::Metrics metrics;
    std::unique_ptr<gateway::api::Pipeline> pipeline;
    std::unique_ptr<gateway::server::SessionContext> sessions;
};

TEST_F(SessionOverTestStream, AHealthCheckEndsCleanlyAtEveryFailPoint) {
    every_fail_point("GET /healthz HTTP/1.1\r\nHost: carebridge\r\n\r\n", 200);
}

TEST_F(SessionOverTestStream, AReferralWithABodyAndACommitEndsCleanlyAtEveryFailPoint) {
    // The demo referral, posted by the Trust: a body read, the store's commit on
    // its writer thread, and the answer written back on the session's executor.
    const std::string body = read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "config/demo-referral.json");
    const std::string request = "POST /fhir HTTP/1.1\r\nHost: carebridge\r\nAuthorization: " + bearer("demo-trust") +
                                "\r\nContent-Type: application/fhir+json\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    every_fail_point(request, 201);
}

TEST_F(SessionOverTestStream, AChunkedBodyEndsCleanlyAtEveryFailPoint) {
    const std::string body = read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "config/demo-referral.json");
    std::string chunked;
    for (std::size_t at = 0; at < body.size(); at += 1000) {
        const std::string piece = body.substr(at, 1000);
        char size[16];
        std::snprintf(size, sizeof size, "%zx", piece.size());
        chunked += std::string(size) + "\r\n" + piece + "\r\n";
    }
    chunked += "0\r\n\r\n";
    const std::string request = "POST /fhir HTTP/1.1\r\nHost: carebridge\r\nAuthorization: " + bearer("demo-trust") +
                                "\r\nContent-Type: application/fhir+json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                chunked;
    every_fail_point(request, 201);
}

}  // namespace
}  // namespace carebridge::testing
