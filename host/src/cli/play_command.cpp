// profo course play: a course played in the terminal through the real engine
// and storage, as a student would see it in Telegram.
#include "bots/bot_registry.hpp"
#include "cli/command.hpp"
#include "cli/platform_session.hpp"
#include "course/course_document.hpp"
#include "engine/engine.hpp"
#include "engine/run_context.hpp"
#include "engine/run_state.hpp"
#include "logging/logging.hpp"
#include "runtime/platform.hpp"

#include <nlohmann/json.hpp>
#include <profo/sdk/outbound.hpp>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <istream>
#include <limits>
#include <ostream>
#include <random>
#include <sstream>
#include <unordered_set>

namespace profo::host {

namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kChat = 1;
constexpr const char* kBotUsername = "play";

std::string random_hex(std::size_t bytes) {
    std::random_device random;
    std::ostringstream out;
    for (std::size_t i = 0; i < bytes; ++i)
        out << std::hex << std::setw(2) << std::setfill('0') << (random() & 0xFF);
    return out.str();
}

// The temporary database of one play, removed with its journal files.
class ScratchDatabase {
public:
    ScratchDatabase() : path_(fs::temp_directory_path() / ("profo-play-" + random_hex(8) + ".db")) {}
    ~ScratchDatabase() {
        std::error_code ignored;
        for (const char* suffix : {"", "-wal", "-shm", "-journal"})
            fs::remove(path_.string() + suffix, ignored);
    }
    ScratchDatabase(const ScratchDatabase&) = delete;
    ScratchDatabase& operator=(const ScratchDatabase&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

std::optional<std::int64_t> parse_number(std::string_view text) {
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
    return value;
}

std::string score_text(double value) {
    if (std::floor(value) == value && std::fabs(value) < 1e15)
        return std::to_string(static_cast<long long>(value));
    std::ostringstream out;
    out << value;
    return out.str();
}

// Play runs the element plugins the config enables, as validate and serve do,
// so a course that plays also validates and deploys; --all-elements adds every
// other element module found (for trying out a module before enabling it).
// It needs SQLite and must not reach out: transports (which would poll
// Telegram for the play bot) and other storage plugins are switched off.
void adapt_config(Config& config, const std::string& dsn, bool all_elements) {
    config.storage.plugin = "sqlite";
    config.storage.dsn = dsn;
    if (all_elements) {
        for (const auto& candidate : discover_plugins(config.resolved_search_paths()))
            if (candidate.metadata && candidate.metadata->kind == sdk::PluginKind::element)
                config.plugins[candidate.metadata->qualified_id()].enabled = true;
    }
    // Also the ones listed but not built: they would only fail to load.
    for (auto& [id, pc] : config.plugins)
        if (id.rfind("transport/", 0) == 0 || (id.rfind("storage/", 0) == 0 && id != "storage/sqlite"))
            pc.enabled = false;
    config.plugins["storage/sqlite"].enabled = true;
}

class Player {
public:
    Player(Platform& platform, CommandIo& io, sdk::Id account_id, sdk::Id bot_id, sdk::Id deployment_id,
           const sdk::CourseVersion& version)
        : platform_(platform),
          engine_(platform.engine()),
          storage_(platform.storage()),
          io_(io),
          account_id_(account_id),
          bot_id_(bot_id),
          deployment_id_(deployment_id) {
        for (const auto& e : storage_.begin()->version_elements(account_id, version.id))
            if (const auto* plugin = platform.plugins().element(e.type); plugin && plugin->graded())
                graded_.insert(e.element_id);
    }

    int play() {
        if (auto exit = start("")) return *exit;
        for (std::string line; std::getline(io_.in, line);) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty()) continue;
            if (line == "/quit") return 0;
            if (auto exit = act(line)) return *exit;
        }
        io_.out << "run not completed (waiting at " << cursor() << ")\n";
        return 3;
    }

private:
    struct Button {
        std::string label;
        std::string callback_data;  // empty for a web_app button
    };

    sdk::InboundEvent event(sdk::InboundEvent::Kind kind) const {
        sdk::InboundEvent e;
        e.kind = kind;
        e.bot_id = bot_id_;
        e.chat_id = kChat;
        e.user_id = kChat;
        e.username = "student";
        return e;
    }

    std::optional<int> start(const std::string& payload) {
        auto e = event(sdk::InboundEvent::Kind::start);
        e.deployment_id = deployment_id_;
        e.text = payload;
        const auto result = engine_.dispatch(e);
        if (result.status != sdk::DispatchResult::Status::handled) {
            io_.err << "profo course play: the run did not start: " << result.message << "\n";
            return 1;
        }
        run_id_ = *result.run_id;
        return settle();
    }

    // One line of student input; an exit status when the run is over.
    std::optional<int> act(const std::string& line) {
        const auto space = line.find(' ');
        const std::string command = line.substr(0, space);
        const std::string argument = space == std::string::npos ? "" : line.substr(space + 1);
        if (command == "/start") return start(argument);
        if (command == "/press") return press(argument);
        if (command == "/vote") return vote(argument);
        if (command == "/skip") return skip();
        if (command == "/webapp" || command == "/voice") {
            auto e = event(command == "/webapp" ? sdk::InboundEvent::Kind::web_app_data
                                                : sdk::InboundEvent::Kind::voice);
            e.text = argument;
            return send(e);
        }
        auto e = event(sdk::InboundEvent::Kind::text);
        e.text = line;
        return send(e);
    }

    std::optional<int> press(const std::string& argument) {
        const auto n = parse_number(argument);
        if (!n || *n < 1 || static_cast<std::size_t>(*n) > buttons_.size()) {
            io_.err << "no button " << argument << " in the latest message with buttons (" << buttons_.size()
                    << " there)\n";
            return std::nullopt;
        }
        const auto& button = buttons_[static_cast<std::size_t>(*n - 1)];
        if (button.callback_data.empty()) {
            io_.err << "button " << *n << " opens a Mini App: answer with /webapp DATA\n";
            return std::nullopt;
        }
        auto e = event(sdk::InboundEvent::Kind::callback);
        e.callback_data = button.callback_data;
        e.callback_id = "play-callback-" + std::to_string(++callbacks_);
        return send(e);
    }

    std::optional<int> vote(const std::string& argument) {
        if (poll_id_.empty()) {
            io_.err << "no poll to answer yet\n";
            return std::nullopt;
        }
        auto e = event(sdk::InboundEvent::Kind::poll_answer);
        e.poll_id = poll_id_;
        std::stringstream in(argument);
        for (std::string item; std::getline(in, item, ',');) {
            const auto n = parse_number(item);
            if (!n || *n < 1 || *n > poll_options_) {
                io_.err << "no option '" << item << "' in the latest poll (1.." << poll_options_ << ")\n";
                return std::nullopt;
            }
            e.options.push_back(static_cast<int>(*n - 1));
        }
        return send(e);
    }

    std::optional<int> skip() {
        std::optional<sdk::WaitingElement> next;
        {
            auto tx = storage_.begin();
            for (const auto& t : tx->due_timers_all_accounts(std::numeric_limits<sdk::Millis>::max(), 1000))
                if (t.run_id == run_id_ && (!next || t.due_at < next->due_at)) next = t;
        }
        if (!next) {
            io_.err << "the run has no pending timer\n";
            return std::nullopt;
        }
        engine_.fire_timer(*next);
        return settle();
    }

    std::optional<int> send(const sdk::InboundEvent& e) {
        const auto result = engine_.dispatch(e);
        if (result.status == sdk::DispatchResult::Status::refused ||
            result.status == sdk::DispatchResult::Status::failed)
            io_.err << "profo course play: " << result.message << "\n";
        return settle();
    }

    // Waits for deferred work, prints what the bot sent, and ends the play
    // when the run has.
    std::optional<int> settle() {
        engine_.wait_for_deferred();
        print_outbox();
        auto tx = storage_.begin();
        const auto run = tx->get_run(account_id_, run_id_);
        if (!run || run->active) return std::nullopt;
        if (run->status == sdk::RunStatus::completed) {
            const auto score = run_score(tx->conversation(account_id_, run_id_),
                                         [this](const std::string& id) { return graded_.count(id) > 0; });
            io_.out << "run completed: score " << score_text(score.score) << " of "
                    << score_text(score.maxscore) << "\n";
            return 0;
        }
        io_.out << "run " << sdk::to_string(run->status) << " (at " << run->cursor << ")\n";
        return 1;
    }

    std::string cursor() {
        auto tx = storage_.begin();
        const auto run = tx->get_run(account_id_, run_id_);
        return run ? run->cursor : "?";
    }

    void print_outbox() {
        auto tx = storage_.begin();
        for (const auto& row : tx->list_outbox(account_id_, bot_id_, kChat)) {
            if (row.status != "pending") continue;
            print(*tx, row, sdk::outbound_from_json(row.payload_json));
            tx->mark_outbox_sent(account_id_, row.id);
        }
        tx->commit();
    }

    void print_text(const std::string& text) {
        if (text.empty()) return;
        io_.out << text << (text.back() == '\n' ? "" : "\n");
    }

    void print(sdk::StorageTx& tx, const sdk::OutboxMessage& row, const sdk::OutboundMessage& message) {
        using Kind = sdk::OutboundMessage::Kind;
        switch (message.kind) {
            case Kind::text: {
                print_text(message.text);
                if (message.buttons.empty()) return;
                buttons_.clear();
                for (const auto& b : message.buttons) {
                    buttons_.push_back({b.text, b.callback_data});
                    io_.out << "[" << buttons_.size() << "] " << b.text;
                    if (!b.web_app_url.empty()) io_.out << " (Mini App " << b.web_app_url << ")";
                    io_.out << "\n";
                }
                return;
            }
            case Kind::media:
                for (const auto& item : message.media)
                    io_.out << "[" << (item.type == sdk::OutboundMedia::Type::video ? "video" : "photo")
                            << "] " << item.url << "\n";
                print_text(message.text);
                return;
            case Kind::audio:
                io_.out << "[audio] " << (message.media.empty() ? std::string{} : message.media.front().url)
                        << "\n";
                print_text(message.text);
                return;
            case Kind::poll: {
                print_text(message.text);
                int n = 0;
                for (const auto& option : message.poll_options)
                    io_.out << "(" << ++n << ") " << option << "\n";
                poll_id_ = "play-" + std::to_string(row.id);
                poll_options_ = n;
                sdk::PollRecord poll;
                poll.account_id = account_id_;
                poll.bot_id = bot_id_;
                poll.poll_id = poll_id_;
                poll.run_id = row.run_id.value_or(run_id_);
                poll.element_id = message.element_id;
                poll.activation = message.activation;
                poll.created_at = to_millis(platform_.clock().now());
                tx.record_poll(account_id_, poll);
                return;
            }
            case Kind::document:
                io_.out << "[file] " << message.file_name << "\n";
                print_text(message.text);
                return;
            // typing and callback answers show nothing in a transcript.
            case Kind::typing:
            case Kind::callback_answer: return;
        }
    }

    Platform& platform_;
    Engine& engine_;
    sdk::Storage& storage_;
    CommandIo& io_;
    sdk::Id account_id_;
    sdk::Id bot_id_;
    sdk::Id deployment_id_;
    sdk::Id run_id_ = 0;
    std::unordered_set<std::string> graded_;  // elements whose answers make the score
    std::vector<Button> buttons_;
    std::string poll_id_;
    std::int64_t poll_options_ = 0;
    int callbacks_ = 0;
};

int run_play(CommandIo& io, const std::vector<std::string>& args) {
    Arguments parsed(args, {"config", "account", "db"}, {"all-elements"});
    if (parsed.positionals().size() != 1) throw UsageError("name exactly one course FILE");
    const fs::path file = parsed.positionals()[0];
    sdk::Id account_id = sdk::kDefaultAccountId;
    if (const auto text = parsed.value("account")) {
        const auto id = parse_number(*text);
        if (!id || *id <= 0) throw UsageError("--account needs a positive account id, not '" + *text + "'");
        account_id = *id;
    }
    auto config = load_command_config(io, args);
    if (!config) return 2;
    // The plugin list would drown the conversation; an explicit level wins.
    if (!io.env.count("PROFO_LOG_LEVEL") && config->log.level == "info") {
        config->log.level = "warn";
        configure_logging(config->log);
    }

    std::optional<ScratchDatabase> scratch;
    const auto db = parsed.value("db");
    if (!db) {
        scratch.emplace();
        // A scratch database needs no lasting key, and play leaves no key file behind.
        if (config->secrets.key.empty()) config->secrets.key = random_hex(32);
    }
    adapt_config(*config, db ? *db : scratch->path().string(), parsed.flag("all-elements"));

    try {
        Platform platform(std::move(*config));
        platform.migrate();
        platform.start_plugins();
        auto& storage = platform.storage();

        ImportResult imported;
        try {
            imported = import_course_file(storage, platform.plugins(), file, account_id);
        } catch (const CourseImportError& e) {
            for (const auto& p : e.problems()) io.err << p.to_string() << "\n";
            return 1;
        }
        for (const auto& w : imported.warnings) io.err << w.to_string() << "\n";

        sdk::Id bot_id = 0;
        sdk::Id deployment_id = 0;
        {
            auto tx = storage.begin();
            for (const auto& bot : tx->list_bots(account_id))
                if (bot.username == kBotUsername) bot_id = bot.id;
            if (bot_id == 0) {
                sdk::Bot bot;
                bot.username = kBotUsername;
                bot_id =
                    create_bot_with_token(*tx, platform.secrets(), account_id, bot, "0:play-" + random_hex(8))
                        .id;
            }
            sdk::CourseDeployment deployment;
            deployment.course_id = imported.course.id;
            deployment.version_id = imported.version.id;
            deployment.bot_id = bot_id;
            deployment.environment = "test";
            deployment_id = tx->create_deployment(account_id, deployment).id;
            tx->commit();
        }
        return Player(platform, io, account_id, bot_id, deployment_id, imported.version).play();
    } catch (const std::exception& e) {
        return report_command_failure(io, e);
    }
}

}  // namespace

void add_course_play_command(CommandTree& tree) {
    add_course_subcommand(
        tree, {"play",
               "play a course in the terminal as a student",
               "Usage: profo course play [--config FILE] [--account ID] [--db PATH] [--all-elements]\n"
               "                         FILE\n\n"
               "Plays a course the way a student sees it in Telegram, through the real course\n"
               "engine and storage: imports FILE (problems are printed and the command exits\n"
               "1 on errors), deploys it on a bot named \"play\" and starts a run for chat 1.\n"
               "The element plugins are those the config enables, exactly as for 'profo course\n"
               "validate' and 'profo serve' (--all-elements adds every other element module\n"
               "found); storage is SQLite whatever the config says, and transport plugins are\n"
               "not loaded, so nothing is sent anywhere.\n\n"
               "What the bot sends is printed: text as it is, buttons as \"[1] label\" lines,\n"
               "a poll as its question and \"(1) option\" lines, media as \"[photo] URL\",\n"
               "\"[video] URL\" or \"[audio] URL\" followed by the caption. Each line read from\n"
               "standard input (a terminal or a pipe alike) is the student's next move:\n\n"
               "  TEXT              a message to the bot\n"
               "  /press N          press button N of the latest message with buttons\n"
               "  /vote N[,M...]    answer the latest poll with options N, M, ... (from 1)\n"
               "  /webapp DATA      answer a Mini App with DATA\n"
               "  /voice FILE_ID    send a voice message\n"
               "  /start [PAYLOAD]  start the course again\n"
               "  /skip             fire the run's pending timer now (delay, jump waits)\n"
               "  /quit             stop playing (exit status 0)\n\n"
               "Deferred work (dialog replies) is awaited before the next line is read, so a\n"
               "scripted session prints the same every time. When the run ends the last line\n"
               "is \"run completed: score S of M\" (the sum of the latest graded answer of each\n"
               "element) and the exit status is 0. End of input before that prints \"run not\n"
               "completed (waiting at ELEMENT)\" and exits 3; a run stopped by an error exits 1.\n\n"
               "  --account ID   the account to import into (default 1)\n"
               "  --db PATH      play in this SQLite database and keep it; by default a\n"
               "                 temporary database is used and removed at exit\n"
               "  --all-elements load every element module found, enabled in the config or not\n"
               "  --config FILE  the config (default $PROFO_CONFIG, else see 'profo --help')",
               run_play,
               {}});
}

}  // namespace profo::host
