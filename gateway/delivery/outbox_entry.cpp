#include "delivery/outbox_entry.hpp"

#include "http/negotiation.hpp"

namespace carebridge::gateway::delivery {

std::string outbox_idempotency_key(std::string_view message_id, std::string_view recipient,
                                   std::string_view service) {
    // The store builds the same key for a row that comes without one.
    std::string key;
    key.reserve(message_id.size() + recipient.size() + service.size() + 2);
    ((key += message_id) += ':') += recipient;
    if (!service.empty()) (key += ':') += service;
    return key;
}

store::OutboxItem outbox_item_for(const store::StoredMessage& message, const policy::Recipient& recipient,
                                  std::string payload) {
    store::OutboxItem item;
    item.message_id = message.id;
    item.recipient = recipient.organisation;
    item.recipient_ods = recipient.organisation_ods;
    item.service = recipient.service;
    item.format = std::string(translation::to_string(recipient.format));
    item.payload = std::move(payload);
    item.content_type = std::string(http::media_type(recipient.format));
    item.idempotency_key = outbox_idempotency_key(message.id, recipient.organisation, recipient.service);
    if (recipient.endpoint) item.endpoint_url = recipient.endpoint->url;
    item.created_at = message.received_at;
    return item;
}

PushEndpoint push_endpoint_of(const config::Endpoint& endpoint) {
    PushEndpoint push;
    push.url = endpoint.url;
    push.bearer_token_env = endpoint.bearer_token_env;
    push.client_certificate_file = endpoint.client_certificate_file;
    push.client_key_file = endpoint.client_key_file;
    push.ca_file = endpoint.ca_file;
    push.allow_plain_http = endpoint.allow_plain_http;
    return push;
}

EndpointLookup config_endpoint_lookup(std::function<std::shared_ptr<const config::Config>()> current_config) {
    return [current_config = std::move(current_config)](const store::OutboxItem& item) -> std::optional<PushEndpoint> {
        const auto config = current_config ? current_config() : nullptr;
        if (!config) return std::nullopt;
        const config::Organisation* organisation = config->organisation(item.recipient);
        if (!organisation || !organisation->endpoint) return std::nullopt;
        return push_endpoint_of(*organisation->endpoint);
    };
}

}  // namespace carebridge::gateway::delivery
