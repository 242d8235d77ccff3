#pragma once
// Deterministic resource identities for the encoder: the same record always
// gives the same Bundle, byte for byte, so outputs can be compared, cached and
// signed. A fullUrl is `urn:uuid:` plus an RFC 4122 version-5 UUID (SHA-1,
// URL namespace) of the partnership base and the resource's identity, e.g.
// "https://fhir.carebridge.example/ServiceRequest/REF-2026-000417".

#include <string>
#include <string_view>

namespace carebridge::fhir {

// The UUID v5 of `name` in the RFC 4122 URL namespace, lower-case hex with dashes.
std::string uuid_v5_url(std::string_view name);

}  // namespace carebridge::fhir
