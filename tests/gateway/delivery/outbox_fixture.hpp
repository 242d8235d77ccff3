#pragma once
// What the delivery tests share: a real SQLite store in a temp directory,
// stored messages with synthetic patients, their outbox rows, and a small
// partnership config (the Trust sends; Befriending, Mind and the council receive).

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "config/config.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "support/gateway_fixture.hpp"

namespace carebridge::testing {

namespace store = gateway::store;

inline std::unique_ptr<store::Store> open_outbox_store(const std::filesystem::path& dir) {
    store::SqliteOptions options;
    options.directory = (dir / "data").string();
    options.read_connections = 2;
    std::error_code error;
    std::string message;
    auto opened = store::open_sqlite_store(options, error, message);
    EXPECT_TRUE(opened) << error.message() << ": " << message;
    return opened;
}

inline store::CommitResult commit_now(store::Store& s, store::WriteSet writes) {
    auto promise = std::make_shared<std::promise<store::CommitResult>>();
    auto future = promise->get_future();
    s.commit(std::move(writes), [promise](store::CommitResult r) { promise->set_value(std::move(r)); });
    return future.get();
}

// The n-th referral the Trust sent; patients cycle through valid 999-range NHS numbers.
inline store::StoredMessage message_numbered(int n, std::string sender = "trust") {
    static const char* patients[] = {"9990000085", "9990000018", "9990000026"};
    store::StoredMessage m;
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", n);
    m.id = id;
    m.sender = std::move(sender);
    m.client = "trust-epr";
    m.idempotency_key = "referral|R" + std::to_string(n) + "|1";
    m.received_at = "2026-11-23T05:30:00.000Z";
    m.source_format = "referral";
    m.content_type = "application/json";
    m.payload = R"({"referral":)" + std::to_string(n) + "}";
    m.canonical = m.payload;
    m.outcome = R"({"resourceType":"OperationOutcome","issue":[]})";
    m.nhs_number = patients[n % 3];
    m.referral_id = "R" + std::to_string(n);
    return m;
}

// `message`'s copy for `recipient`: the document names the message, so a test
// can tell which one a partner received.
inline store::OutboxItem item_for(const store::StoredMessage& message, std::string recipient,
                                  std::string endpoint_url = "") {
    store::OutboxItem item;
    item.message_id = message.id;
    item.recipient_ods = recipient == "befriend" ? "DBF01" : recipient == "mind" ? "DMN01" : "DCN01";
    item.recipient = std::move(recipient);
    item.service = "befriending";
    item.format = "referral";
    item.content_type = "application/vnd.carebridge.referral+json";
    item.payload = R"({"for":")" + item.recipient + R"(","referral":")" + message.referral_id + R"("})";
    item.endpoint_url = std::move(endpoint_url);
    return item;
}

// One message and its outbox rows in one commit; the rows' ids, in order.
inline std::vector<std::string> queue_message(store::Store& s, const store::StoredMessage& message,
                                              std::vector<store::OutboxItem> items) {
    store::WriteSet writes;
    writes.messages.push_back(message);
    writes.outbox = std::move(items);
    auto result = commit_now(s, std::move(writes));
    EXPECT_FALSE(result.error) << result.error_message;
    return result.outbox_ids;
}

// Waits for `condition`, polling; false when `timeout` passes first. A
// generous bound for a state to be reached, never a measured duration.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

inline std::vector<store::OutboxItem> items_of(store::Store& s, std::string recipient,
                                               std::optional<store::OutboxState> state = std::nullopt) {
    store::OutboxQuery query;
    query.recipient = std::move(recipient);
    query.state = state;
    query.limit = 1000;
    std::error_code error;
    auto items = s.find_outbox_items(query, error);
    EXPECT_FALSE(error) << error.message();
    return items;
}

// The partnership the handlers look organisations up in.
inline std::shared_ptr<const gateway::config::Config> partnership_config() {
    using gateway::config::Organisation;
    using gateway::config::OrganisationType;
    auto config = std::make_shared<gateway::config::Config>();
    const auto add = [&](std::string id, std::string ods, OrganisationType type, std::vector<std::string> aliases) {
        Organisation o;
        o.id = std::move(id);
        o.ods_code = std::move(ods);
        o.name = o.id;
        o.type = type;
        o.aliases = std::move(aliases);
        config->organisations.push_back(std::move(o));
    };
    add("trust", "RZZ", OrganisationType::trust, {});
    add("befriend", "DBF01", OrganisationType::vcse, {"Northfield Befriending"});
    add("mind", "DMN01", OrganisationType::vcse, {});
    add("council", "DCN01", OrganisationType::council, {});
    return config;
}

}  // namespace carebridge::testing
