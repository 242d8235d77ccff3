#pragma once
// What the pipeline puts in the outbox for one routed recipient, and where
// the delivery worker finds that recipient's push settings in the config.
//
//   writes.outbox.push_back(outbox_item_for(message, recipient, encoded));
//   DeliveryWorker worker(store, options, config_endpoint_lookup([&] { return pipeline.config(); }));

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "delivery/delivery_worker.hpp"
#include "delivery/push_endpoint.hpp"
#include "policy/routing.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::delivery {

// The key a receiver deduplicates on: the same for every attempt, before
// and after a restart, and different for each recipient (and service) of a message.
std::string outbox_idempotency_key(std::string_view message_id, std::string_view recipient, std::string_view service);

// The outbox row for `recipient` of `message`: `payload` is its minimised
// record already encoded in recipient.format. A recipient with an endpoint
// is pushed; one without collects it from GET /partners/{org}/inbox.
store::OutboxItem outbox_item_for(const store::StoredMessage& message, const policy::Recipient& recipient,
                                  std::string payload);

PushEndpoint push_endpoint_of(const config::Endpoint& endpoint);

// Looks the item's recipient up in the config current at each attempt, so
// a SIGHUP's new certificates, CA or token variable apply to queued items.
EndpointLookup config_endpoint_lookup(std::function<std::shared_ptr<const config::Config>()> current_config);

}  // namespace carebridge::gateway::delivery
