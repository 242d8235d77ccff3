#pragma once
// Checks for values every format must honour. Pure functions over strings so
// each decoder reports failures on its own element path.

#include <string_view>

namespace carebridge::model {

// NHS number: ten digits; modulus 11 over the first nine with weights 10..2;
// a check digit of 11 is written 0 and 10 means the number is invalid.
// Spaces are not accepted here: decoders strip the "999 123 4567" display form.
bool is_valid_nhs_number(std::string_view digits);

// FHIR `date`: YYYY, YYYY-MM or YYYY-MM-DD with a real calendar day.
bool is_valid_date(std::string_view s);

// FHIR `instant`: YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm).
bool is_valid_instant(std::string_view s);

// A FHIR `dateTime` (any date, or an instant).
bool is_valid_date_time(std::string_view s);

// ODS organisation code: 3 to 12 upper-case letters and digits.
bool is_valid_ods_code(std::string_view s);

}  // namespace carebridge::model
