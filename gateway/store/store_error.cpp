#include "store/store_error.hpp"

namespace carebridge::gateway::store {
namespace {

class StoreCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "carebridge.store"; }
    std::string message(int value) const override {
        switch (static_cast<StoreErrc>(value)) {
            case StoreErrc::schema_too_new:
                return "the database was written by a newer carebridge";
            case StoreErrc::closed:
                return "the store is closed";
            case StoreErrc::bad_directory:
                return "the data directory cannot be used";
            case StoreErrc::escalation_not_pending:
                return "the escalation timer has already fired or ended";
            case StoreErrc::triage_not_open:
                return "the triage item has already been re-routed or returned";
        }
        return "unknown store error";
    }
};

}  // namespace

const std::error_category& store_category() {
    static const StoreCategory category;
    return category;
}

std::error_code make_error_code(StoreErrc e) { return {static_cast<int>(e), store_category()}; }

}  // namespace carebridge::gateway::store
