#pragma once
// Constants of the care-notes export format (schemas/carenotes-export-1.xsd).

namespace carebridge::carenotes {

inline constexpr char export_namespace[] = "urn:carebridge:carenotes:1";
inline constexpr char export_root[] = "CareNotesExport";
inline constexpr char export_client[] = "Client";
inline constexpr char export_schema_version[] = "1";

}  // namespace carebridge::carenotes
