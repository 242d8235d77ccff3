#pragma once
// A session over Beast's in-memory test::stream instead of a socket, so a
// test can make the n-th stream operation fail (Beast's fail-count pattern)
// and see the session end cleanly at every such point. The server never
// starts one; it is the same Session<Derived> as plain and TLS connections.

#include <memory>

#include <boost/beast/_experimental/test/stream.hpp>

#include "server/session.hpp"

namespace carebridge::gateway::server {

// Starts serving `stream` (its peer is the test's client). The returned
// pointer expires when the session has ended and been destroyed.
std::weak_ptr<void> start_test_stream_session(boost::beast::test::stream stream, SessionContext& context);

}  // namespace carebridge::gateway::server
