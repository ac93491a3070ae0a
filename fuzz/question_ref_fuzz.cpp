// What the Mini App sends back: the question ref from its URL and the
// submitted answer, both under the client's control.
#include "miniapp/miniapp_question.hpp"

#include <profo/sdk/text.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace profo::elements::miniapp;
    const std::string text(reinterpret_cast<const char*>(data), size);
    if (const auto ref = parse_question_ref(text)) {
        const auto again = parse_question_ref(to_string(*ref));
        if (!again || !(*again == *ref)) std::abort();
    }
    const auto submitted = read_submitted(text);
    (void)answer_matches(submitted.answer, text, "typein");
    (void)profo::sdk::fold_case(text);
    (void)profo::sdk::trim(text);
    return 0;
}
