#pragma once
// An audit event's detail: a compact JSON object with what the fixed fields
// cannot say — the policy rule and its version, the fields sent and withheld,
// the count of translation warnings, a failure's reason. Never patient data
// beyond what the fixed fields already hold.
//
//   event.detail = Detail().add("rule", "befriending-isolation").add("version", 3)
//                          .add("fields_withheld", withheld).text();

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace carebridge::gateway::audit {

class Detail {
public:
    Detail();
    ~Detail();
    Detail(Detail&&) noexcept;
    Detail& operator=(Detail&&) noexcept;

    Detail& add(std::string_view key, std::string_view value);
    Detail& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
    template <std::integral Integer>
    requires(!std::same_as<Integer, bool>) Detail& add(std::string_view key, Integer value) {
        return add_integer(key, static_cast<std::int64_t>(value));
    }
    Detail& add(std::string_view key, bool value);
    Detail& add(std::string_view key, const std::vector<std::string>& values);

    // The object so far, e.g. {"rule":"r1","version":3}.
    std::string text() const;

private:
    Detail& add_integer(std::string_view key, std::int64_t value);
    struct Writer;
    std::unique_ptr<Writer> writer_;
};

// Empty, or one JSON object and nothing after it: what the log accepts.
bool is_detail(std::string_view text);

}  // namespace carebridge::gateway::audit
