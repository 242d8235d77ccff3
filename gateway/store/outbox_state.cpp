// The outbox and triage states' names, as both backends store them (store.hpp).

#include "store/store.hpp"

namespace carebridge::gateway::store {

std::string_view to_string(OutboxState state) {
    switch (state) {
        case OutboxState::pending: return "pending";
        case OutboxState::delivered: return "delivered";
        case OutboxState::dead: return "dead";
        case OutboxState::acknowledged: return "acknowledged";
    }
    return "pending";
}

std::optional<OutboxState> parse_outbox_state(std::string_view name) {
    for (OutboxState state :
         {OutboxState::pending, OutboxState::delivered, OutboxState::dead, OutboxState::acknowledged})
        if (to_string(state) == name) return state;
    return std::nullopt;
}

std::string_view to_string(TriageState state) {
    switch (state) {
        case TriageState::open: return "open";
        case TriageState::rerouted: return "rerouted";
        case TriageState::returned: return "returned";
    }
    return "open";
}

std::optional<TriageState> parse_triage_state(std::string_view name) {
    for (TriageState state : {TriageState::open, TriageState::rerouted, TriageState::returned})
        if (to_string(state) == name) return state;
    return std::nullopt;
}

}  // namespace carebridge::gateway::store
