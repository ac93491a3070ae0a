#include "yaml/yaml_document.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/node/parse.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <sstream>

namespace profo::host {
namespace {

// Notes where documents start; two starts at the same place mean the parser
// made no progress, which it never does on text it can read.
class DocumentStarts final : public YAML::EventHandler {
public:
    explicit DocumentStarts(const std::string& text) : text_(text) {}

    void OnDocumentStart(const YAML::Mark& mark) override {
        if (count_ > 0 && mark.pos == last_.pos) {
            const char c = mark.pos >= 0 && static_cast<std::size_t>(mark.pos) < text_.size()
                               ? text_[static_cast<std::size_t>(mark.pos)]
                               : '?';
            throw YAML::ParserException(mark, std::string("unexpected '") + c + "': no value can start here");
        }
        if (count_ == 1) second_ = mark;
        last_ = mark;
        ++count_;
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}

    int count() const { return count_; }
    const std::optional<YAML::Mark>& second() const { return second_; }

private:
    const std::string& text_;
    int count_ = 0;
    YAML::Mark last_ = YAML::Mark::null_mark();
    std::optional<YAML::Mark> second_;
};

}  // namespace

YamlDocument read_yaml_document(const std::string& given) {
    // YAML forbids NUL; yaml-cpp would read it as white space and go on.
    if (const auto nul = given.find('\0'); nul != std::string::npos) {
        YAML::Mark mark;
        mark.pos = static_cast<int>(nul);
        const auto line_start = given.rfind('\n', nul);
        mark.line = static_cast<int>(
            std::count(given.begin(), given.begin() + static_cast<std::ptrdiff_t>(nul), '\n'));
        mark.column = static_cast<int>(line_start == std::string::npos ? nul : nul - line_start - 1);
        throw YAML::ParserException(mark, "a NUL character (byte 0), which YAML text may not hold");
    }
    // A lone CR ends a line in YAML (old Mac files); yaml-cpp knows only LF
    // and CR LF. One byte for one, so positions and lines stay the same.
    std::string text = given;
    for (std::size_t i = 0; i < text.size(); ++i)
        if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) text[i] = '\n';
    // yaml-cpp stops at 2,000 levels of nesting with the words "bad file".
    try {
        std::istringstream stream(text);
        YAML::Parser parser(stream);
        DocumentStarts starts(text);
        // Readers take one document, so only the first two matter; a stalled one
        // shows as the next start at the same place, and a `---` start marks the
        // header rather than the content, hence two starts past the second.
        while (starts.count() < 4 && parser.HandleNextDocument(starts)) {
        }
        return {YAML::Load(text), starts.second()};
    } catch (const YAML::DeepRecursion& e) {
        throw YAML::ParserException(
            e.mark, "lists and mappings are nested more than " + std::to_string(e.depth()) + " levels deep");
    }
}

}  // namespace profo::host
