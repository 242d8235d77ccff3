#include "timers/audit_checkpoint.hpp"

namespace carebridge::gateway::timers {

void sign_audit_checkpoint(store::Store& store, const OperatorLog& log) {
    store.sign_audit_checkpoint([log](store::CommitResult result) {
        if (result.error && log) log("audit checkpoint not signed: " + result.error_message);
    });
}

}  // namespace carebridge::gateway::timers
