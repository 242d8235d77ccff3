// Issue 15 items 1 and 2 against the real server over TLS on 127.0.0.1: a
// HEAD answer is GET's without its body, and every request whose framing two
// HTTP parsers could read differently (request smuggling) is refused with
// 400 and a closed connection, so nothing in its body runs as a second request.
#include <gtest/gtest.h>

#include "support/gateway_fixture.hpp"

namespace carebridge::testing {
namespace {

// The header block of a response, and its Content-Length ("" when none).
std::string header_of(const std::string& response) { return response.substr(0, response.find("\r\n\r\n") + 4); }
std::string content_length_of(const std::string& response) {
    const std::string header = header_of(response);
    const auto at = header.find("\r\nContent-Length: ");
    if (at == std::string::npos) return {};
    const auto from = at + 18;
    return header.substr(from, header.find("\r\n", from) - from);
}

TEST(HeadRequests, AnswerGetsStatusAndHeadersWithoutTheBody) {
    TempDir temp;
    RunningGateway gw(temp.path());
    ASSERT_TRUE(gw.server);
    for (const std::string path : {"/healthz", "/readyz"}) {
        RawConnection get(gw.address(), gw.tls());
        ASSERT_FALSE(get.connect());
        ASSERT_FALSE(get.write("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        get.read_until_closed(std::chrono::seconds(5));
        const std::string got = get.received();
        ASSERT_TRUE(got.starts_with("HTTP/1.1 200")) << got;
        const std::string length = content_length_of(got);
        ASSERT_FALSE(length.empty()) << got;
        ASSERT_NE(length, "0") << "the GET has a body to leave out";

        RawConnection head(gw.address(), gw.tls());
        ASSERT_FALSE(head.connect());
        ASSERT_FALSE(head.write("HEAD " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        head.read_until_closed(std::chrono::seconds(5));
        const std::string headed = head.received();
        EXPECT_TRUE(headed.starts_with("HTTP/1.1 200")) << headed;
        EXPECT_EQ(content_length_of(headed), length) << "HEAD names the GET body's length: " << headed;
        EXPECT_EQ(headed.size(), header_of(headed).size()) << "and sends no body: " << headed;
    }
}

TEST(HeadRequests, KeepAliveAfterHeadReadsTheNextAnswerCleanly) {
    TempDir temp;
    RunningGateway gw(temp.path());
    ASSERT_TRUE(gw.server);
    RawConnection c(gw.address(), gw.tls());
    ASSERT_FALSE(c.connect());
    ASSERT_FALSE(c.write("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: "
                         "close\r\n\r\n"));
    c.read_until_closed(std::chrono::seconds(5));
    const std::string got = c.received();
    const auto second = got.find("HTTP/1.1 200", 1);
    ASSERT_NE(second, std::string::npos) << got;
    EXPECT_EQ(second, header_of(got).size()) << "the second answer starts right after the HEAD's header: " << got;
}

struct Smuggling {
    const char* name;
    std::string header_lines;  // after the request line and Host, before the blank line
};

// A body that would be a second request if the first one's framing were misread.
const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

std::string chunked_smuggled() {
    char size[16];
    std::snprintf(size, sizeof size, "%zx", smuggled.size());
    return std::string(size) + "\r\n" + smuggled + "\r\n0\r\n\r\n";
}

TEST(RequestSmuggling, AmbiguousFramingIsRefusedWith400AndTheConnectionClosed) {
    TempDir temp;
    RunningGateway gw(temp.path());
    ASSERT_TRUE(gw.server);
    const std::string length = std::to_string(smuggled.size());
    const std::vector<Smuggling> cases = {
        {"gzip", "Transfer-Encoding: gzip\r\n"},
        {"identity", "Transfer-Encoding: identity\r\n"},
        {"xchunked", "Transfer-Encoding: xchunked\r\n"},
        {"chunked-then-identity", "Transfer-Encoding: chunked, identity\r\n"},
        {"te-and-content-length", "Transfer-Encoding: chunked\r\nContent-Length: " + length + "\r\n"},
        {"content-lengths-differ", "Content-Length: " + length + "\r\nContent-Length: 5\r\n"},
        {"content-length-list", "Content-Length: " + length + ", 5\r\n"},
        {"space-before-colon", "Transfer-Encoding : chunked\r\nContent-Length: " + length + "\r\n"},
        {"bare-cr", "Content-Type: application/fhir+json\rX-Evil: 1\r\nContent-Length: " + length + "\r\n"},
        {"duplicate-transfer-encoding", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"},
    };
    for (const Smuggling& c : cases) {
        SCOPED_TRACE(c.name);
        const bool chunked_body = c.header_lines.find("chunked") != std::string::npos &&
                                  c.header_lines.find("Content-Length") == std::string::npos;
        RawConnection raw(gw.address(), gw.tls());
        ASSERT_FALSE(raw.connect());
        ASSERT_FALSE(raw.write("POST /fhir HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer("demo-trust") + "\r\n" +
                               c.header_lines + "\r\n" + (chunked_body ? chunked_smuggled() : smuggled)));
        const RawRead read = raw.read_until_closed(std::chrono::seconds(5));
        EXPECT_TRUE(read.closed_by_peer) << raw.received();
        EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 400")) << raw.received();
        EXPECT_EQ(raw.received().find("HTTP/1.1 200"), std::string::npos)
            << "one answer only: the body never ran as a request: " << raw.received();
    }
}

TEST(RequestSmuggling, AFinalChunkedIsStillRead) {
    TempDir temp;
    RunningGateway gw(temp.path());
    ASSERT_TRUE(gw.server);
    const std::string body = read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "config/demo-referral.json");
    char size[16];
    std::snprintf(size, sizeof size, "%zx", body.size());
    RawConnection raw(gw.address(), gw.tls());
    ASSERT_FALSE(raw.connect());
    ASSERT_FALSE(raw.write("POST /fhir HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer("demo-trust") +
                           "\r\nContent-Type: application/fhir+json\r\nTransfer-Encoding: chunked\r\n"
                           "Connection: close\r\n\r\n" + std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n"));
    raw.read_until_closed(std::chrono::seconds(5));
    EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 201")) << raw.received();
}

}  // namespace
}  // namespace carebridge::testing
