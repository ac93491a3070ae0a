// The YAML-to-JSON layer against hostile documents: self-referencing and
// exponentially nested aliases, deep nesting, huge plain scalars and numbers
// beyond a double. Each one must end in a YamlContentError naming a line,
// never in a crash or an unbounded allocation.
#include "yaml/yaml_json.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

namespace profo::host {
namespace {

std::string error_of(const std::string& yaml, YamlLimits limits = {}) {
    try {
        YamlToJson(limits).convert(YAML::Load(yaml));
    } catch (const YamlContentError& e) {
        return std::to_string(e.line()) + ": " + e.what();
    }
    return "no error";
}

// Nine levels of ten aliases each: 10^9 values from 545 bytes.
std::string billion_laughs() {
    std::string yaml = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
    for (char c = 'b'; c <= 'i'; ++c) {
        const char prev = static_cast<char>(c - 1);
        yaml += std::string(1, c) + ": &" + c + " [";
        for (int i = 0; i < 9; ++i) yaml += std::string(i ? "," : "") + "*" + prev;
        yaml += "]\n";
    }
    return yaml;
}

TEST(YamlJson, SelfReferencingAliasIsACycleNotAStackOverflow) {
    EXPECT_EQ(error_of("a: &x [*x]\n"),
              "1: an alias refers to the list or mapping that contains it (an alias cycle)");
    EXPECT_EQ(error_of("a:\n  b: &m\n    c: *m\n"),
              "2: an alias refers to the list or mapping that contains it (an alias cycle)");
}

TEST(YamlJson, ExponentialAliasesStopAtTheNodeBudget) {
    const auto message = error_of(billion_laughs());
    EXPECT_NE(message.find("expands to more than 1000000 values"), std::string::npos) << message;
}

TEST(YamlJson, RepeatedLongScalarsStopAtTheByteBudget) {
    const std::string yaml = "s: &s " + std::string(1000, 'x') + "\nl: [*s, *s, *s, *s]\n";
    EXPECT_EQ(error_of(yaml, {.max_bytes = 3000}),
              "1: the document expands to more than 3000 bytes of text (aliases repeat what they refer to)");
}

TEST(YamlJson, DeepNestingIsRefused) {
    EXPECT_EQ(error_of(std::string(65, '[') + std::string(65, ']')),
              "1: lists and mappings are nested more than 64 levels deep");
    EXPECT_NO_THROW(YamlToJson().convert(YAML::Load(std::string(64, '[') + std::string(64, ']'))));
}

TEST(YamlJson, AliasesWithinTheBudgetStillExpand) {
    const auto json = yaml_to_json(YAML::Load("a: &a [1, 2]\nb: *a\n"));
    EXPECT_EQ(json.dump(), R"({"a":[1,2],"b":[1,2]})");
}

TEST(YamlJson, HugePlainScalarsAreScannedWithoutRecursion) {
    const std::string digits(100000, '7');
    EXPECT_EQ(yaml_to_json(YAML::Load("n: " + digits + "\n"))["n"], digits);  // beyond 64 bits: text
    EXPECT_TRUE(plain_scalar_changes_type(digits));
    EXPECT_TRUE(plain_scalar_changes_type(digits + ".5e3"));
    EXPECT_FALSE(plain_scalar_changes_type(digits + "x"));
}

TEST(YamlJson, MergeKeysGiveWhatTheMappingDoesNotWriteItself) {
    const auto json =
        yaml_to_json(YAML::Load("base: &b {type: quiz, text: one, answers: [a]}\n"
                                "more: &m {text: two, button: Next}\n"
                                "copy:\n  <<: *b\n  text: three\n"
                                "both:\n  <<: [*m, *b]\n"
                                "quoted:\n  '<<': kept\n"));
    EXPECT_EQ(json["copy"].dump(), R"({"type":"quiz","text":"three","answers":["a"]})");
    // The first mapping named wins.
    EXPECT_EQ(json["both"].dump(), R"({"text":"two","button":"Next","type":"quiz","answers":["a"]})");
    EXPECT_EQ(json["quoted"].dump(), R"({"<<":"kept"})");
    EXPECT_EQ(error_of("a:\n  <<: 5\n"),
              "2: a merge key (<<) takes a mapping (*name) or a list of mappings ([*a, *b])");
}

TEST(YamlJson, NumberBeyondADoubleStaysText) {
    EXPECT_EQ(yaml_to_json(YAML::Load("b: 1e999\n"))["b"], "1e999");
    EXPECT_EQ(yaml_to_json(YAML::Load("b: '1e999'\n"))["b"], "1e999");
}

TEST(YamlJson, NumbersAreNumbersOnlyWhenWrittenAsTheyPrint) {
    // Anything else is the author's text: `3.10` is a version, `007` a code,
    // `1.10` an element id; number fields read such text as numbers
    // (sdk::course_number).
    const auto json = yaml_to_json(YAML::Load(
        "[1, -2, +3, 0x1F, 0o17, 1.5, .5, 5., -1e3, .inf, -.Inf, .nan, 1.2.3, 0x, +, ~, true, x, 3.10, 007, "
        "2.0, 1.10, 0.7, -0, 1e3, 100]"));
    EXPECT_EQ(
        json.dump(),
        R"([1,-2,"+3","0x1F","0o17",1.5,".5","5.","-1e3",".inf","-.Inf",".nan","1.2.3","0x","+",null,true,"x",)"
        R"("3.10","007",2.0,"1.10",0.7,"-0","1e3",100])");
}

}  // namespace
}  // namespace profo::host

namespace profo::host {
namespace {

// Found by fuzz_course_yaml: a `type` holding bytes that are not UTF-8 ended
// the checker with nlohmann's type_error when it quoted the value back.
TEST(YamlJson, TextThatIsNotUtf8IsRefusedWithItsLine) {
    EXPECT_EQ(error_of("a: ok\nb: \"caf\xff\"\n"), "2: text that is not valid UTF-8; save the file as UTF-8");
    EXPECT_EQ(error_of("a:\n  type: {k: \xffv}\n"),
              "2: text that is not valid UTF-8; save the file as UTF-8");
    EXPECT_EQ(error_of("ok: 1\n\xc3\x28: 2\n"), "2: text that is not valid UTF-8; save the file as UTF-8");
    EXPECT_EQ(error_of("a: \"caf\xc3\xa9 \xf0\x9f\x98\x80\"\n"), "no error");
}

}  // namespace
}  // namespace profo::host
