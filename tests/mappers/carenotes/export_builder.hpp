#pragma once
// Builds synthetic care-notes exports for the tests: a document head and foot
// around clients made from small templates, with test-range NHS numbers.

#include <string>
#include <string_view>

namespace carebridge::testing {

inline constexpr std::string_view carenotes_head =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<CareNotesExport xmlns=\"urn:carebridge:carenotes:1\" schemaVersion=\"1\">\n";
inline constexpr std::string_view carenotes_foot = "</CareNotesExport>\n";

// The n-th valid NHS number of the 999 test range (modulus 11 passes).
inline std::string test_nhs_number(int n) {
    for (long body = 999000000 + n;; ++body) {
        const std::string digits = std::to_string(body);
        int sum = 0;
        for (int i = 0; i < 9; ++i) sum += (digits[i] - '0') * (10 - i);
        int check = 11 - sum % 11;
        if (check == 11) check = 0;
        if (check != 10) return digits + static_cast<char>('0' + check);
    }
}

struct ClientParts {
    std::string nhs_number = "9990000018";
    std::string birth_date = "1980-01-01";
    std::string priority = "Green";
    std::string referral_extra;  // XML placed at the end of the Referral
    std::string client_extra;    // XML placed at the end of the Client
};

inline std::string carenotes_client(int id, const ClientParts& parts) {
    const std::string n = std::to_string(id);
    return "  <Client id=\"CN-" + n + "\">\n"
           "    <Demographics>\n"
           "      <NhsNumber verification=\"01\">" + parts.nhs_number + "</NhsNumber>\n"
           "      <Name use=\"Official\"><Given>Sam</Given><Family>Tester" + n + "</Family></Name>\n"
           "      <BirthDate>" + parts.birth_date + "</BirthDate>\n"
           "    </Demographics>\n"
           "    <Referral id=\"REF-" + n + "\">\n"
           "      <Status>Submitted</Status>\n"
           "      <Priority>" + parts.priority + "</Priority>\n"
           "      <Notes>Synthetic client " + n + "</Notes>\n" + parts.referral_extra +
           "    </Referral>\n" + parts.client_extra +
           "  </Client>\n";
}

inline std::string carenotes_export(const std::string& clients) {
    return std::string(carenotes_head) + clients + std::string(carenotes_foot);
}

inline std::string carenotes_export_of(const ClientParts& parts) { return carenotes_export(carenotes_client(0, parts)); }

}  // namespace carebridge::testing
