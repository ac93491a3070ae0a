#include "conformance/enrollment_contract.hpp"

#include <profo/sdk/deep_link.hpp>
#include <profo/sdk/enrollment.hpp>
#include <profo/sdk/enrollment_testing.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <functional>

namespace profo::host {

namespace {

using sdk::EnrollmentRefusal;
using namespace std::chrono_literals;

const sdk::TimePoint kNow{std::chrono::milliseconds(1'750'000'000'000)};
const std::string kKey = "4f1c9a0e7d2b63855ac1f0e9d8b7a6c5b4a3928170f6e5d4c3b2a19080706050";

bool is_lower_word(const std::string& text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

std::string printable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 40)) out += (c >= 0x20 && c < 0x7F) ? c : '?';
    return text.size() > 40 ? out + "..." : out;
}

// Arguments a forged or mistyped link can carry after the code.
std::vector<std::string> hostile_arguments() {
    return {"x",
            "_",
            "-",
            "AAAA",
            std::string(22, 'A'),
            std::string(40, '_'),
            std::string(64, 'z'),
            std::string(100000, 'Q'),
            std::string("\0\x01\xFF", 3),
            "\xD0\x9F\xD1\x80\xD0\xB8",
            "a b c",
            "cd_1_abc"};
}

class Checker {
public:
    Checker(LoadedPlugin& module, std::vector<std::string>& out) : module_(module), out_(out) {}

    void run() {
        if (module_.metadata().kind != sdk::PluginKind::enrollment) {
            fail("is a " + std::string(sdk::to_string(module_.metadata().kind)) +
                 " plugin, not an enrollment one");
            return;
        }
        plugin_ = &module_.as<sdk::EnrollmentPlugin>();
        if (!identity()) return;
        hostile_tokens();
        if (!fresh_token()) return;
        signed_argument();
        first_start();
        questions_take_nothing();
        schedule_refusals();
        hostile_links();
        used_up();
    }

private:
    void fail(std::string what) { out_.push_back(std::move(what)); }

    template <class Call>
    bool survives(const std::string& what, Call call) {
        try {
            call();
            return true;
        } catch (const std::exception& e) {
            fail(what + " threw: " + e.what());
        } catch (...) {
            fail(what + " threw a non-standard exception");
        }
        return false;
    }

    bool identity() {
        std::string type;
        std::string description;
        std::size_t length = 0;
        if (!survives("type()", [&] { type = plugin_->type(); }) ||
            !survives("description()", [&] { description = plugin_->description(); }) ||
            !survives("code_length()", [&] { length = plugin_->code_length(); }))
            return false;
        if (!is_lower_word(type))
            fail("type() is '" + type + "'; a token type is a lower-case word ([a-z_]+)");
        if (type != module_.metadata().id)
            fail("type() is '" + type + "' but the module's id is '" + module_.metadata().id + "'");
        const auto file = module_.path().filename().string();
        if (file != "profo_enrollment_" + module_.metadata().id + ".so")
            fail("the file is named " + file + ", not profo_enrollment_" + module_.metadata().id + ".so");
        if (description.empty() || description.find('\n') != std::string::npos)
            fail("description() must be one line of text");
        // The largest deployment id takes 11 characters: the code must leave room for it.
        const std::size_t fixed = sdk::kDeepLinkPrefix.size() + 11 + 1;
        if (length < 4 || length > sdk::kMaxTokenCode || fixed + length > sdk::kMaxStartPayload)
            fail("code_length() is " + std::to_string(length) + "; it must be 4 to " +
                 std::to_string(sdk::kMaxTokenCode));
        type_ = type;
        code_length_ = length;
        return true;
    }

    sdk::EnrollmentToken base_token() const {
        sdk::EnrollmentToken t;
        t.deployment_id = 7;
        t.type = type_;
        t.code = std::string(code_length_, 'k');
        return t;
    }

    // prepare_token() refuses with std::invalid_argument naming the field, or accepts.
    void hostile_tokens() {
        std::vector<std::function<void(sdk::EnrollmentToken&)>> changes = {
            [](auto& t) { t.max_uses = -1; },
            [](auto& t) { t.max_uses = 0; },
            [](auto& t) { t.max_uses = std::numeric_limits<std::int64_t>::max(); },
            [](auto& t) { t.user_id = -5; },
            [](auto& t) { t.user_id = 0; },
            [](auto& t) { t.username = std::string(5000, '@'); },
            [](auto& t) { t.username = "\xFF\xFE"; },
            [](auto& t) {
                t.user_id = 1;
                t.username = "both";
            },
            [](auto& t) { t.utm_json = "not json"; },
            [](auto& t) { t.label = std::string(1 << 16, 'l'); },
        };
        for (std::size_t i = 0; i < changes.size(); ++i) {
            auto token = base_token();
            changes[i](token);
            try {
                plugin_->prepare_token(token);
            } catch (const std::invalid_argument& e) {
                const std::string what = e.what();
                const auto colon = what.find(": ");
                if (colon == std::string::npos || colon == 0 || what.find(' ') < colon)
                    fail("prepare_token() refused hostile token " + std::to_string(i + 1) + " with '" +
                         printable(what) + "', which does not start with the field's name and ': '");
            } catch (const std::exception& e) {
                fail("prepare_token() threw something other than std::invalid_argument for hostile token " +
                     std::to_string(i + 1) + ": " + e.what());
            } catch (...) {
                fail("prepare_token() threw a non-standard exception for hostile token " +
                     std::to_string(i + 1));
            }
        }
    }

    // A token the type accepts: as given, or with a limit when it demands one.
    bool fresh_token() {
        for (std::optional<std::int64_t> limit :
             {std::optional<std::int64_t>(), std::optional<std::int64_t>(3)}) {
            auto token = base_token();
            token.max_uses = limit;
            try {
                plugin_->prepare_token(token);
            } catch (const std::invalid_argument&) {
                continue;
            } catch (const std::exception& e) {
                fail(std::string("prepare_token() threw on a plain token: ") + e.what());
                return false;
            }
            prepared_ = token;
            return true;
        }
        fail("prepare_token() refuses a plain token both without a limit and with max_uses 3");
        return false;
    }

    void signed_argument() {
        try {
            argument_ = plugin_->sign_argument(
                *prepared_,
                nlohmann::json{{"ref", "conformance-1"}, {"expires_at", sdk::epoch_millis(kNow) + 3'600'000}},
                kKey, kNow);
        } catch (const std::invalid_argument&) {
            argument_.clear();  // the type signs nothing: its links end at the code
            return;
        } catch (const std::exception& e) {
            fail(std::string("sign_argument() threw something other than std::invalid_argument: ") +
                 e.what());
            return;
        }
        try {
            sdk::deep_link_payload(prepared_->deployment_id, prepared_->code, argument_);
        } catch (const std::exception& e) {
            fail("sign_argument() made an argument no start link can carry: " + std::string(e.what()));
        }
    }

    // A fresh store with the prepared token (changed by `change`).
    sdk::EnrollmentToken stored(sdk::testing::MemoryTokenStore& store,
                                const std::function<void(sdk::EnrollmentToken&)>& change = {}) {
        auto token = *prepared_;
        if (change) change(token);
        return store.create_token(1, token);
    }

    std::optional<sdk::EnrollmentDecision> admit(sdk::testing::MemoryTokenStore& store,
                                                 const sdk::EnrollmentToken& token, std::string_view argument,
                                                 bool consume, const std::string& what,
                                                 std::int64_t user = 501) {
        sdk::CourseDeployment deployment;
        deployment.id = token.deployment_id;
        deployment.account_id = 1;
        std::optional<sdk::EnrollmentDecision> decision;
        survives("admit() " + what, [&] {
            sdk::EnrollmentAttempt attempt{deployment, token,         argument, kKey,
                                           user,       "conformance", kNow,     consume};
            decision = plugin_->admit(store, attempt);
        });
        return decision;
    }

    void first_start() {
        sdk::testing::MemoryTokenStore store;
        const auto token = stored(store);
        const auto d = admit(store, token, argument_, true, "of a fresh token");
        if (!d) return;
        if (!d->admitted) {
            fail("admit() refuses a fresh token's first start (" + std::string(sdk::to_string(d->refusal)) +
                 ": " + d->detail + ")");
            return;
        }
        const auto uses = store.get_token(1, token.id)->uses;
        if (uses > 1) fail("admit() took " + std::to_string(uses) + " uses for one start");
    }

    void questions_take_nothing() {
        sdk::testing::MemoryTokenStore store;
        const auto token = stored(store);
        const auto d = admit(store, token, argument_, false, "asked without consuming");
        if (!d) return;
        if (!d->admitted) fail("admit() without consume refuses a fresh token that a start would admit");
        if (store.get_token(1, token.id)->uses != 0) fail("admit() without consume took a use");
    }

    void schedule_refusals() {
        const sdk::Millis now = sdk::epoch_millis(kNow);
        const std::vector<
            std::tuple<std::string, std::function<void(sdk::EnrollmentToken&)>, EnrollmentRefusal>>
            cases{
                {"a revoked token", [](auto& t) { t.revoked = true; }, EnrollmentRefusal::revoked},
                {"a paused token", [](auto& t) { t.active = false; }, EnrollmentRefusal::paused},
                {"an expired token", [&](auto& t) { t.expires_at = now - 1; }, EnrollmentRefusal::expired},
                {"a token before its window", [&](auto& t) { t.starts_at = now + 60'000; },
                 EnrollmentRefusal::not_started},
                {"a token after its window", [&](auto& t) { t.ends_at = now; }, EnrollmentRefusal::closed},
            };
        for (const auto& [what, change, expected] : cases) {
            sdk::testing::MemoryTokenStore store;
            const auto token = stored(store, change);
            for (bool consume : {false, true}) {
                const auto d = admit(store, token, argument_, consume, "of " + what);
                if (!d) continue;
                if (d->admitted || d->refusal != expected)
                    fail("admit() of " + what + (consume ? "" : " (asked)") + " gives " +
                         (d->admitted ? std::string("admitted") : std::string(sdk::to_string(d->refusal))) +
                         ", not " + std::string(sdk::to_string(expected)));
            }
            if (store.get_token(1, token.id)->uses != 0) fail("admit() of " + what + " took a use");
        }
    }

    void hostile_links() {
        sdk::testing::MemoryTokenStore store;
        const auto token = stored(store);
        auto arguments = hostile_arguments();
        if (!argument_.empty()) {
            arguments.push_back("");  // the signed part left out
            std::string flipped = argument_;
            flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
            arguments.push_back(flipped);
            arguments.push_back(argument_ + "A");
        }
        for (const auto& argument : arguments) {
            const auto d = admit(store, token, argument, true, "with argument '" + printable(argument) + "'");
            if (d && d->admitted)
                fail("admit() admits a link with the argument '" + printable(argument) + "'");
        }
        if (store.get_token(1, token.id)->uses != 0) fail("admit() took a use for a link it refused");
    }

    // With every use taken, the type refuses (a limit it set itself, as a
    // personal token's single use, counts too).
    void used_up() {
        sdk::testing::MemoryTokenStore store;
        const auto token = stored(store, [](auto& t) {
            if (t.max_uses) t.uses = *t.max_uses;
        });
        if (!token.max_uses) return;
        for (bool consume : {false, true}) {
            const auto d = admit(store, token, argument_, consume, "of a used-up token");
            if (d && d->admitted)
                fail("admit() of a token with all " + std::to_string(*token.max_uses) + " uses taken admits" +
                     (consume ? "" : " (asked)"));
            if (d && !d->admitted && d->refusal != EnrollmentRefusal::exhausted &&
                d->refusal != EnrollmentRefusal::used)
                fail("admit() of a used-up token says " + std::string(sdk::to_string(d->refusal)) +
                     ", not exhausted or used");
        }
    }

    LoadedPlugin& module_;
    std::vector<std::string>& out_;
    sdk::EnrollmentPlugin* plugin_ = nullptr;
    std::string type_;
    std::size_t code_length_ = 0;
    std::optional<sdk::EnrollmentToken> prepared_;
    std::string argument_;
};

}  // namespace

std::vector<std::string> enrollment_contract_violations(LoadedPlugin& module) {
    std::vector<std::string> out;
    Checker(module, out).run();
    return out;
}

}  // namespace profo::host
