// The Telegram transport: long polling and webhooks in, the durable outbox
// out. Everything network-bound runs as coroutines on the plugin's own
// io_context (a few threads, however many bots); storage and engine calls,
// which block, run on a small pool of their own.
#include "bot_api_call.hpp"
#include "bot_api_client.hpp"
#include "pacing.hpp"
#include "update_mapping.hpp"

#include <profo/sdk/abi.hpp>
#include <profo/sdk/json_input.hpp>
#include <profo/sdk/outbound.hpp>
#include <profo/sdk/transport.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <unistd.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <type_traits>
#include <unordered_map>

namespace profo::telegram {

namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using nlohmann::json;
using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;

sdk::Millis epoch_ms() {
    return std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Settings (README.md lists them); a wrong type is refused naming the key.
struct Settings {
    std::string base_url = "https://api.telegram.org";
    std::string public_url;  // webhooks: where Telegram reaches this process
    // One: a second thread takes work from the first through wakeups that,
    // on a small machine, cost more than the work (bench/telegram_bench: 12%
    // more CPU per update with two). One thread parses and sends some 10k
    // updates/s; more help only past that.
    int io_threads = 1;
    int storage_threads = 4;
    int poll_timeout_s = 25;
    Millis bots_refresh{2000};
    Millis lease_ttl{8000};  // a dead process's bots move on this long after its last renewal
    Millis outbox_interval{100};
    Millis outbox_coalesce{5};
    Millis offset_save{1000};
    int outbox_batch = 500;
    double bot_per_second = 30;
    double bot_burst = 30;
    double chat_per_second = 1;
    double chat_burst = 3;
    double group_per_minute = 20;
    Millis backoff_initial{1000};
    Millis backoff_max{300000};
    Millis send_timeout{30000};
    // Text files (a course author's YAML) up to this size are fetched for the engine.
    std::int64_t max_document_bytes = std::int64_t{4} * 1024 * 1024;

    static Settings from(const json& s) {
        Settings out;
        if (!s.is_object()) return out;
        auto text = [&](const char* key, std::string& into) {
            if (!s.contains(key)) return;
            if (!s[key].is_string())
                throw std::invalid_argument(std::string("settings.") + key + " must be a string");
            into = s[key].get<std::string>();
        };
        auto number = [&](const char* key, auto& into, double low) {
            if (!s.contains(key)) return;
            // A setting that only the environment gives
            // (PROFO_PLUGINS_TRANSPORT_TELEGRAM_SETTINGS_<KEY>) arrives as text.
            json value = s[key];
            if (value.is_string()) {
                const auto& text = value.get_ref<const std::string&>();
                double parsed = 0;
                auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
                if (ec == std::errc() && end == text.data() + text.size() && !text.empty())
                    value = parsed == static_cast<double>(static_cast<std::int64_t>(parsed))
                                ? json(static_cast<std::int64_t>(parsed))
                                : json(parsed);
            }
            if (!value.is_number() || value.get<double>() < low)
                throw std::invalid_argument(std::string("settings.") + key +
                                            " must be a number of at least " + std::to_string(low));
            using T = std::remove_reference_t<decltype(into)>;
            if constexpr (std::is_same_v<T, Millis>)
                into = Millis(value.get<std::int64_t>());
            else
                into = value.get<T>();
        };
        text("base_url", out.base_url);
        text("public_url", out.public_url);
        while (!out.public_url.empty() && out.public_url.back() == '/') out.public_url.pop_back();
        number("io_threads", out.io_threads, 1);
        number("storage_threads", out.storage_threads, 1);
        number("poll_timeout_s", out.poll_timeout_s, 0);
        number("bots_refresh_ms", out.bots_refresh, 50);
        number("lease_ttl_ms", out.lease_ttl, 150);
        if (out.lease_ttl < 3 * out.bots_refresh)
            throw std::invalid_argument(
                "settings.lease_ttl_ms must be at least three times bots_refresh_ms (leases are renewed "
                "at each bot list refresh)");
        number("outbox_interval_ms", out.outbox_interval, 5);
        number("outbox_coalesce_ms", out.outbox_coalesce, 0);
        number("outbox_batch", out.outbox_batch, 1);
        number("offset_save_ms", out.offset_save, 0);
        number("bot_per_second", out.bot_per_second, 0.01);
        number("bot_burst", out.bot_burst, 1);
        number("chat_per_second", out.chat_per_second, 0.01);
        number("chat_burst", out.chat_burst, 1);
        number("group_per_minute", out.group_per_minute, 0.1);
        number("backoff_initial_ms", out.backoff_initial, 1);
        number("backoff_max_ms", out.backoff_max, 1);
        number("send_timeout_ms", out.send_timeout, 100);
        number("max_document_bytes", out.max_document_bytes, 0);
        // The platform's retention prunes the update ledger now, with every
        // other table that only grows; a setting that would do nothing is refused.
        for (const char* moved : {"prune_interval_ms", "ledger_keep_ms"})
            if (s.contains(moved))
                throw std::invalid_argument(std::string("settings.") + moved +
                                            " is gone: the update ledger is pruned by the platform, "
                                            "see retention.interval and retention.processed_updates");
        return out;
    }
};

const char* outcome_name(BotApiOutcome::Kind kind) {
    switch (kind) {
        case BotApiOutcome::Kind::ok: return "ok";
        case BotApiOutcome::Kind::retry_after: return "retry_after";
        case BotApiOutcome::Kind::transient: return "transient";
        case BotApiOutcome::Kind::permanent: return "permanent";
        case BotApiOutcome::Kind::blocked: return "blocked";
    }
    return "other";
}

// Tokens never reach a log line: a bot is named by its id and username.
std::string bot_name(const sdk::Bot& bot) {
    return "bot " + std::to_string(bot.id) + " (@" + bot.username + ")";
}

// This process among those sharing the database: host, pid and a random
// part, so a restarted process never takes over its predecessor's leases
// as if they were its own.
std::string lease_holder_name() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    unsigned char random[6] = {};
    RAND_bytes(random, sizeof random);
    static const char* hex = "0123456789abcdef";
    std::string out = std::string(host[0] != '\0' ? host : "profo") + "-" + std::to_string(getpid()) + "-";
    for (unsigned char c : random) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

// Telegram echoes the secret on every webhook delivery; deriving it from the
// token keeps nothing more to store, and it changes when the token does.
std::string derived_webhook_secret(const std::string& token) {
    const std::string input = "profo-webhook-secret:" + token;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : digest) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

bool same_secret(const std::string& a, const std::string& b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

const json kAllowedUpdates = json::array({"message", "callback_query", "poll_answer", "my_chat_member"});

struct BotState {
    sdk::Bot bot;
    std::string token;
    std::string webhook_secret;
    std::atomic<bool> wanted{true};
    std::atomic<bool> serving{false};
    // Polling: the offset of the next getUpdates, and the last one saved.
    std::atomic<std::int64_t> offset{0};
    std::atomic<std::int64_t> saved_offset{0};
    // Polls this process is sending whose record (the sent mark) is not
    // committed yet: only an answer to one of those is worth waiting for.
    std::atomic<int> polls_unrecorded{0};
    // Guarded by the transport's mutex.
    SteadyTime paused_until{};
    // What was last reported to the bots screen (BotHealthStore).
    std::mutex health_mutex;
    sdk::BotHealth health;
    TokenBucket bucket;
    BotState(sdk::Bot b, std::string t, const Settings& s)
        : bot(std::move(b)),
          token(std::move(t)),
          webhook_secret(derived_webhook_secret(token)),
          bucket(s.bot_per_second, s.bot_burst, std::chrono::steady_clock::now()) {}
};

using ChatKey = std::pair<sdk::Id, std::int64_t>;  // bot, chat

class TelegramTransport final : public sdk::TransportPlugin {
public:
    ~TelegramTransport() override { stop(); }

    void start(sdk::TransportHost& host) override {
        host_ = &host;
        settings_ = Settings::from(host.settings());
        auto& metrics = host.metrics();
        metrics.describe(
            "profo_telegram_sends_total",
            "Bot API sends of outbox messages, by result (ok, retry_after, transient, permanent, "
            "blocked)");
        metrics.describe("profo_telegram_send_duration_seconds", "one Bot API send, request to answer");
        metrics.describe("profo_outbox_due_messages",
                         "outbox messages due at the last read (at most outbox_batch)");
        client_ = std::make_unique<BotApiClient>(io_, settings_.base_url);
        storage_pool_ = std::make_unique<asio::thread_pool>(settings_.storage_threads);
        host.http().add("POST", "/telegram/webhook/{bot_id}",
                        [this](const sdk::HttpRequest& request) { return on_webhook(request); });
        load_bots();
        spawn(refresh_bots(), "bot list");
        spawn(drain_outbox(), "outbox", outbox_strand_);
        for (int i = 0; i < settings_.io_threads; ++i) threads_.emplace_back([this] { io_.run(); });
        host.log().info("telegram transport started: Bot API at " + settings_.base_url + ", " +
                        std::to_string(settings_.io_threads) + " network threads");
    }

    void stop() override {
        if (stopping_.exchange(true)) return;
        work_.reset();
        io_.stop();
        for (auto& t : threads_) t.join();
        threads_.clear();
        // Engine calls in flight finish: what they committed stays, and the
        // offsets not yet advanced only make Telegram redeliver (the ledger
        // skips those).
        if (storage_pool_) storage_pool_->join();
        {
            // Their results are posted to io_, which must outlive the posting.
            std::unique_lock lock(dispatches_mutex_);
            dispatches_settled_.wait(lock, [this] { return dispatches_in_flight_ == 0; });
        }
        if (client_) client_->close_idle();
        save_offsets_at_stop();
        // The other processes take the bots over at their next renewal.
        if (host_ != nullptr) {
            try {
                auto tx = host_->storage().begin();
                tx->release_bot_leases_all_accounts(holder_);
                tx->commit();
            } catch (const std::exception& e) {
                host_->log().warn(std::string("telegram: cannot give the bot leases back (they expire): ") +
                                  e.what());
            }
        }
    }

    bool ready() const override {
        if (stopping_ || !loaded_) return false;
        std::lock_guard lock(mutex_);
        for (const auto& [id, bot] : bots_)
            if (!bot->serving) return false;
        return true;
    }

private:
    template <class Executor = asio::io_context::executor_type>
    void spawn(awaitable<void> work, std::string what, Executor executor) {
        asio::co_spawn(executor, std::move(work),
                       [this, what = std::move(what)](const std::exception_ptr& e) {
                           if (!e || stopping_) return;
                           try {
                               std::rethrow_exception(e);
                           } catch (const std::exception& error) {
                               host_->log().error("telegram: " + what + " stopped: " + error.what());
                           }
                       });
    }
    void spawn(awaitable<void> work, std::string what) {
        spawn(std::move(work), std::move(what), io_.get_executor());
    }

    // Runs `f` (storage, engine: they block) on the storage pool and resumes
    // the caller on its own executor.
    // No coroutine lambda here: GCC 12 destroys the captures of a lambda that
    // travels through a coroutine twice. The work is posted to the pool and
    // its result handed back to the waiting coroutine's executor.
    template <class Work>
    auto blocking(Work&& work_in) {
        using F = std::decay_t<Work>;
        F f(std::forward<Work>(work_in));
        using R = std::invoke_result_t<F&>;
        if constexpr (std::is_void_v<R>) {
            return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr)>(
                [this](auto handler, F work) {
                    asio::post(*storage_pool_,
                               [handler = std::move(handler), work = std::move(work)]() mutable {
                                   std::exception_ptr error;
                                   try {
                                       work();
                                   } catch (...) {
                                       error = std::current_exception();
                                   }
                                   auto executor = asio::get_associated_executor(handler);
                                   asio::post(executor, [handler = std::move(handler), error]() mutable {
                                       std::move(handler)(error);
                                   });
                               });
                },
                use_awaitable, std::move(f));
        } else {
            return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, R)>(
                [this](auto handler, F work) {
                    asio::post(*storage_pool_,
                               [handler = std::move(handler), work = std::move(work)]() mutable {
                                   std::exception_ptr error;
                                   R result{};
                                   try {
                                       result = work();
                                   } catch (...) {
                                       error = std::current_exception();
                                   }
                                   auto executor = asio::get_associated_executor(handler);
                                   asio::post(executor, [handler = std::move(handler), error,
                                                         result = std::move(result)]() mutable {
                                       std::move(handler)(error, std::move(result));
                                   });
                               });
                },
                use_awaitable, std::move(f));
        }
    }

    // `events` through the engine without a thread waiting on it: the engine
    // settles them on its own worker, which posts the results back to the
    // caller's executor. Through blocking() a batch cost four thread wakes
    // (to the pool, to the worker and back twice); this way, two. Never
    // throws: an engine that throws failed every event.
    auto dispatched(std::vector<sdk::InboundEvent> events) {
        using Results = std::vector<sdk::DispatchResult>;
        return asio::async_initiate<const asio::use_awaitable_t<>&, void(Results)>(
            [this](auto handler, std::vector<sdk::InboundEvent>&& events) {
                // The engine's callback is copyable; the coroutine's handler is not.
                auto waiting = std::make_shared<decltype(handler)>(std::move(handler));
                {
                    std::lock_guard lock(dispatches_mutex_);
                    ++dispatches_in_flight_;
                }
                const auto resume = [this, waiting](Results results) {
                    auto executor = asio::get_associated_executor(*waiting);
                    asio::post(executor, [waiting, results = std::move(results)]() mutable {
                        std::move (*waiting)(std::move(results));
                    });
                    std::lock_guard lock(dispatches_mutex_);
                    if (--dispatches_in_flight_ == 0) dispatches_settled_.notify_all();
                };
                const auto count = events.size();
                try {
                    host_->engine().dispatch_all_then(std::move(events), resume);
                } catch (const std::exception& e) {
                    resume(Results(count, sdk::DispatchResult{sdk::DispatchResult::Status::failed,
                                                              std::nullopt, e.what()}));
                }
            },
            use_awaitable, std::move(events));
    }

    awaitable<void> sleep(Millis delay) {
        asio::steady_timer timer(co_await asio::this_coro::executor, delay);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    }

    // A wake while the outbox is being read (not waiting on its timer) must
    // not be lost: the flag makes the loop read again at once instead of
    // sleeping a whole outbox_interval with replies due.
    void wake_outbox() {
        asio::post(outbox_strand_, [this] {
            outbox_woken_ = true;
            outbox_wake_.cancel();
        });
    }

    // --- bots ---------------------------------------------------------------------------

    // The bot list, and this process's leases renewed (and its share taken):
    // of several processes on one database, only a bot's lease holder polls
    // it, sets its webhook and sends its outbox. Webhook deliveries are
    // accepted by every process.
    struct BotList {
        std::vector<sdk::Bot> bots;
        std::set<sdk::Id> leased;   // to serve
        std::set<sdk::Id> surplus;  // held, to give back once nothing of theirs is in flight
    };
    BotList read_bots() {
        const auto renewed_at = std::chrono::steady_clock::now();
        std::vector<sdk::Id> give_back;
        {
            std::lock_guard lock(mutex_);
            give_back.swap(give_back_);
        }
        auto tx = host_->storage().begin();
        for (const auto id : give_back) tx->release_bot_lease_all_accounts(holder_, id);
        BotList list;
        list.bots = tx->list_bots_all_accounts();
        const auto leases =
            tx->hold_bot_leases_all_accounts(holder_, epoch_ms(), settings_.lease_ttl.count());
        list.surplus.insert(leases.surplus.begin(), leases.surplus.end());
        for (const auto id : leases.held)
            if (list.surplus.count(id) == 0) list.leased.insert(id);
        tx->commit();
        {
            // A margin for the clocks of the processes, which need not agree to the millisecond.
            std::lock_guard lock(mutex_);
            leases_valid_until_ = renewed_at + settings_.lease_ttl * 3 / 4;
        }
        return list;
    }

    // The first read happens in start(), so /readyz does not answer 503 for
    // a process that has no bots once it says it serves.
    void load_bots() {
        try {
            auto list = read_bots();
            reconcile(list.bots, list.leased, list.surplus);
            loaded_ = true;
        } catch (const std::exception& e) {
            host_->log().error(std::string("telegram: cannot read the bot list: ") + e.what());
        }
    }

    awaitable<void> refresh_bots() {
        while (!stopping_) {
            co_await sleep(settings_.bots_refresh);
            try {
                auto work0 = [this] { return read_bots(); };
                auto list = co_await blocking(std::move(work0));
                reconcile(list.bots, list.leased, list.surplus);
                loaded_ = true;
            } catch (const std::exception& e) {
                host_->log().error(std::string("telegram: cannot read the bot list: ") + e.what());
            }
        }
    }

    // Starts serving the leased bots added or enabled since the last look,
    // and lets go of those removed, disabled, switched to another mode or
    // leased to another process now. Every enabled webhook bot's deliveries
    // are accepted, leased or not.
    void reconcile(const std::vector<sdk::Bot>& bots, const std::set<sdk::Id>& leased,
                   const std::set<sdk::Id>& surplus) {
        std::map<sdk::Id, const sdk::Bot*> wanted;
        // Preview bots are the panel's: Telegram does not know them.
        for (const auto& b : bots)
            if (b.enabled && (b.mode == "poll" || b.mode == "webhook")) wanted[b.id] = &b;
        const auto same = [](const sdk::Bot& a, const sdk::Bot& b) {
            return a.mode == b.mode && a.token_sealed == b.token_sealed;
        };
        std::vector<std::shared_ptr<BotState>> started;
        std::vector<std::shared_ptr<BotState>> dropped;  // no longer to be served by anyone
        std::vector<std::shared_ptr<BotState>> handed;   // served by another process now
        {
            std::lock_guard lock(mutex_);
            for (auto it = bots_.begin(); it != bots_.end();) {
                auto w = wanted.find(it->first);
                const bool still = w != wanted.end() && same(*w->second, it->second->bot);
                if (still && leased.count(it->first) != 0) {
                    ++it;
                    continue;
                }
                it->second->wanted = false;
                (still ? handed : dropped).push_back(it->second);
                it = bots_.erase(it);
            }
            // A surplus lease goes back once no send of its bot is in flight
            // here: the next holder would repeat it. (A long poll still open
            // here is ended by the next holder's, as Telegram does.)
            for (const auto id : surplus) {
                const auto sending = in_flight_.lower_bound({id, std::numeric_limits<std::int64_t>::min()});
                if (sending != in_flight_.end() && sending->first == id) continue;
                give_back_.push_back(id);
            }
            std::map<sdk::Id, std::shared_ptr<BotState>> accepting;
            for (const auto& [id, bot] : wanted) {
                std::shared_ptr<BotState> state;
                if (auto it = bots_.find(id); it != bots_.end()) state = it->second;
                if (auto it = webhooks_.find(id);
                    !state && it != webhooks_.end() && same(*bot, it->second->bot))
                    state = it->second;
                if (!state) {
                    std::string token;
                    try {
                        token = host_->secrets().open(bot->token_sealed,
                                                      sdk::bot_token_context(bot->account_id, bot->id));
                    } catch (const std::exception& e) {
                        host_->log().error("telegram: " + bot_name(*bot) +
                                           ": cannot open its token: " + e.what());
                        continue;
                    }
                    state = std::make_shared<BotState>(*bot, std::move(token), settings_);
                }
                if (bot->mode == "webhook") accepting[id] = state;
                if (leased.count(id) != 0 && bots_.count(id) == 0) {
                    state->wanted = true;
                    bots_[id] = state;
                    started.push_back(state);
                }
            }
            webhooks_.swap(accepting);
        }
        for (const auto& state : handed)
            host_->log().info("telegram: " + bot_name(state->bot) + " is served by another process now");
        for (const auto& state : dropped) {
            host_->log().info("telegram: no longer serving " + bot_name(state->bot));
            report_health(state, "stopped");
            if (state->bot.mode == "webhook") spawn(delete_webhook(state), "deleteWebhook");
        }
        for (const auto& state : started) {
            host_->log().info("telegram: serving " + bot_name(state->bot) + " by " +
                              (state->bot.mode == "webhook" ? "webhook" : "long polling"));
            if (state->bot.mode == "webhook")
                spawn(set_webhook(state), "setWebhook");
            else
                spawn(poll(state), "polling " + bot_name(state->bot));
        }
    }

    // For the panel's bots screen, in the database so that any process
    // shows it. Written when the state changes or a new error comes (the
    // same error again at most once a minute), never per update. An empty
    // `state` keeps the one reported.
    void report_health(const std::shared_ptr<BotState>& bot, std::string state,
                       const std::string& error = {}) {
        sdk::BotHealth health;
        {
            const std::int64_t now = epoch_ms();
            std::lock_guard lock(bot->health_mutex);
            auto& last = bot->health;
            if (state.empty()) state = last.state;
            const bool same_error =
                error.empty() || (error == last.last_error && now - last.last_error_at < 60'000);
            if (state == last.state && same_error) return;
            last.bot_id = bot->bot.id;
            last.state = state;
            last.updated_at = now;
            if (!error.empty()) {
                last.last_error = error;
                last.last_error_at = now;
            }
            health = last;
            if (error.empty()) health.last_error.clear();  // storage keeps the one it has
        }
        const auto account = bot->bot.account_id;
        asio::post(*storage_pool_, [this, account, health, name = bot_name(bot->bot)] {
            try {
                auto tx = host_->storage().begin();
                tx->record_bot_health(account, health);
                tx->commit();
            } catch (const std::exception& e) {
                host_->log().warn("telegram: " + name + ": cannot record its health: " + e.what());
            }
        });
    }

    std::shared_ptr<BotState> find_webhook_bot(sdk::Id id) const {
        std::lock_guard lock(mutex_);
        auto it = webhooks_.find(id);
        return it == webhooks_.end() ? nullptr : it->second;
    }

    // --- updates in -----------------------------------------------------------------------

    // A poll is recorded when Telegram has answered the sendPoll, and a quick
    // student's vote can be fetched before that commit: an answer to a poll
    // not recorded yet waits (the batch is retried) for up to kPollGrace,
    // after which it goes to the engine anyway, which ignores a poll it does
    // not know rather than blocking the bot for good. The poller is the
    // bot's sender too: when it has no poll of the bot awaiting its record,
    // an unknown poll (sent by another client of the token, or before a
    // crash, or long pruned) is not waited for, for while the batch waits no
    // student of the bot is answered. A webhook delivery may come to a
    // process that does not send the bot's messages: it waits the grace.
    static constexpr std::chrono::seconds kPollGrace{15};

    bool poll_known(const BotState& bot, const std::string& poll_id, bool sends_here) {
        if (host_->storage().begin_read()->find_poll_all_accounts(bot.bot.id, poll_id)) return true;
        if (sends_here && bot.polls_unrecorded.load() == 0) return true;
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(mutex_);
        auto [it, first] = unknown_polls_.emplace(poll_id, now);
        if (first && unknown_polls_.size() > 10000) {
            std::erase_if(unknown_polls_, [&](const auto& e) { return now - e.second > kPollGrace; });
            it = unknown_polls_.emplace(poll_id, now).first;
        }
        return now - it->second > kPollGrace;
    }

    // The engine does no I/O, so the content of a text file comes with its
    // event (wants_document_content). False when it could not be had for now
    // (network, 5xx, 429): the update is tried again later. A file Telegram
    // refuses (too big, gone) goes on without its content; the engine says so.
    awaitable<bool> fetch_document(const BotState& bot, MappedUpdate& mapped) {
        if (!wants_document_content(mapped, settings_.max_document_bytes)) co_return true;
        // Named first: GCC 12 mishandles temporaries inside a co_await expression.
        const std::string method = "getFile";
        const json params{{"file_id", mapped.file_id}};
        auto asking = client_->call(bot.token, method, params, settings_.send_timeout);
        const auto reply = co_await std::move(asking);
        const auto outcome = classify_reply(reply.status, reply.body);
        if (outcome.kind == BotApiOutcome::Kind::permanent) co_return true;
        if (outcome.kind != BotApiOutcome::Kind::ok) co_return false;
        const auto path = outcome.result.is_object() ? outcome.result.value("file_path", json()) : json();
        if (!path.is_string()) co_return true;
        const auto file_path = path.get<std::string>();
        auto downloading = client_->download(bot.token, file_path, settings_.send_timeout);
        const auto file = co_await std::move(downloading);
        if (file.status == 0 || file.status >= 500 || file.status == 429) co_return false;
        if (file.status == 200 && static_cast<std::int64_t>(file.body.size()) <= settings_.max_document_bytes)
            mapped.event.text = file.body;
        co_return true;
    }

    // One update through the engine; blocks. A start carries its link's
    // payload as its text: the engine reads it, with the token's plugin.
    sdk::DispatchResult dispatch_update(const BotState& bot, MappedUpdate& mapped) {
        try {
            if (mapped.event.kind == sdk::InboundEvent::Kind::poll_answer &&
                !poll_known(bot, mapped.event.poll_id, false))
                return {sdk::DispatchResult::Status::failed, std::nullopt,
                        "poll " + mapped.event.poll_id + " is not recorded yet"};
        } catch (const std::exception& e) {
            return {sdk::DispatchResult::Status::failed, std::nullopt, e.what()};
        }
        auto result = std::move(dispatch_events({mapped.event}).front());
        if (result.status == sdk::DispatchResult::Status::refused)
            host_->log().info("telegram: " + bot_name(bot.bot) + ": start in chat " +
                              std::to_string(mapped.event.chat_id) + " refused: " + result.message);
        return result;
    }

    // Blocks; never throws: an engine that throws failed every event.
    std::vector<sdk::DispatchResult> dispatch_events(const std::vector<sdk::InboundEvent>& events) {
        try {
            return host_->engine().dispatch_all(events);
        } catch (const std::exception& e) {
            return std::vector<sdk::DispatchResult>(
                events.size(),
                sdk::DispatchResult{sdk::DispatchResult::Status::failed, std::nullopt, e.what()});
        }
    }

    // The offset a bot's polling resumes from (at a restart, or in the process
    // that takes its lease over). Only a shortcut: Telegram forgets what an
    // offset confirmed, and the update ledger skips an update handled before,
    // so an older offset costs a few updates read twice, never one handled
    // twice. Hence it is saved at most every offset_save_ms, not after every
    // reply (a commit per getUpdates), and unsynced: the poll loop waits for
    // the save, and the loss of one to a power cut costs no more than an
    // older offset does.
    //
    // store_offsets writes each bot's polled offset, all in one transaction,
    // and throws when it cannot; save_offset is one bot's, from its poll loop.
    void store_offsets(const std::vector<std::shared_ptr<BotState>>& bots) {
        std::vector<std::int64_t> offsets;
        offsets.reserve(bots.size());
        for (const auto& bot : bots) offsets.push_back(bot->offset);
        auto tx = host_->storage().begin_unsynced();
        for (std::size_t i = 0; i < bots.size(); ++i)
            tx->set_bot_offset(bots[i]->bot.account_id, bots[i]->bot.id, offsets[i]);
        tx->commit();
        for (std::size_t i = 0; i < bots.size(); ++i) bots[i]->saved_offset = offsets[i];
    }

    awaitable<void> save_offset(std::shared_ptr<BotState> bot) {
        try {
            auto work2 = [this, bot] { store_offsets({bot}); };
            co_await blocking(std::move(work2));
        } catch (const std::exception& e) {
            host_->log().warn("telegram: " + bot_name(bot->bot) + ": cannot save the offset: " + e.what());
        }
    }

    // The io threads are gone: polling loops stopped wherever they were.
    void save_offsets_at_stop() {
        if (host_ == nullptr) return;
        std::vector<std::shared_ptr<BotState>> unsaved;
        {
            std::lock_guard lock(mutex_);
            for (const auto& [id, bot] : bots_)
                if (bot->offset != bot->saved_offset) unsaved.push_back(bot);
        }
        if (unsaved.empty()) return;
        try {
            store_offsets(unsaved);
        } catch (const std::exception& e) {
            host_->log().warn(std::string("telegram: cannot save the offsets at stop: ") + e.what());
        }
    }

    awaitable<void> poll(std::shared_ptr<BotState> bot) {
        bot->offset = bot->saved_offset = bot->bot.update_offset;
        auto saved_at = std::chrono::steady_clock::time_point{};
        int failures = 0;
        const Millis poll_timeout = std::chrono::seconds(settings_.poll_timeout_s) + 15s;
        while (!stopping_ && bot->wanted) {
            json params{{"timeout", settings_.poll_timeout_s}, {"allowed_updates", kAllowedUpdates}};
            if (const std::int64_t offset = bot->offset; offset > 0) params["offset"] = offset;
            const auto reply = co_await client_->call(bot->token, "getUpdates", params, poll_timeout);
            if (stopping_ || !bot->wanted) break;
            const auto outcome = classify_reply(reply.status, reply.body);
            if (outcome.kind != BotApiOutcome::Kind::ok) {
                // "…while webhook is active", or "terminated by setWebhook request"
                // for a poll that was waiting when the webhook was set.
                if (outcome.error_code == 409 && outcome.description.find("ebhook") != std::string::npos) {
                    host_->log().info("telegram: " + bot_name(bot->bot) +
                                      " had a webhook; deleting it to poll instead");
                    co_await client_->call(bot->token, "deleteWebhook", json::object(),
                                           settings_.send_timeout);
                    continue;
                }
                if (outcome.error_code == 401) bot->serving = true;  // nothing to wait for: the token is dead
                report_health(bot, "failing", "getUpdates: " + outcome.description);
                const Millis delay = outcome.kind == BotApiOutcome::Kind::retry_after
                                         ? Millis(outcome.retry_after_s * 1000LL)
                                         : backoff_delay(failures++, settings_.backoff_initial, 30s);
                host_->log().warn("telegram: " + bot_name(bot->bot) + ": getUpdates failed (" +
                                  outcome.description + "); again in " + std::to_string(delay.count()) +
                                  " ms");
                co_await sleep(delay);
                continue;
            }
            failures = 0;
            bot->serving = true;
            report_health(bot, "polling");
            if (!outcome.result.is_array()) continue;
            // The whole reply goes to the engine at once, so the events of its
            // chats share transactions (group commit); a chat's events keep
            // their order, and a failed one fails its chat's later ones untried.
            std::vector<MappedUpdate> mapped;
            std::vector<sdk::InboundEvent> events;
            for (const auto& update : outcome.result) {
                auto& m = mapped.emplace_back(map_update(update, bot->bot.id, bot->bot.username));
                if (m.outcome != MappedUpdate::Outcome::event) continue;
                // An answer to a poll not recorded yet ends the batch here (see kPollGrace).
                if (m.event.kind == sdk::InboundEvent::Kind::poll_answer) {
                    const auto poll_id = m.event.poll_id;
                    auto known = [this, bot, poll_id] { return poll_known(*bot, poll_id, true); };
                    bool is_known = false;
                    try {
                        is_known = co_await blocking(std::move(known));
                    } catch (const std::exception&) {
                        is_known = false;
                    }
                    if (!is_known) break;
                }
                // A file not fetched for now ends the batch here too.
                auto fetching = fetch_document(*bot, m);
                if (!co_await std::move(fetching)) break;
                events.push_back(m.event);
            }
            std::vector<sdk::DispatchResult> results;
            if (!events.empty()) {
                auto handling = dispatched(std::move(events));
                results = co_await std::move(handling);
            }
            std::int64_t next = bot->offset;
            bool failed = false;
            std::size_t dispatched = 0;
            for (const auto& m : mapped) {
                if (m.outcome == MappedUpdate::Outcome::event) {
                    const bool reached = dispatched < results.size();
                    const auto& result = reached ? results[dispatched] : sdk::DispatchResult{};
                    if (!reached || result.status == sdk::DispatchResult::Status::failed) {
                        host_->log().error("telegram: " + bot_name(bot->bot) + ": update " +
                                           std::to_string(*m.update_id) + " not handled, will retry: " +
                                           (reached ? result.message : "its poll is not recorded yet"));
                        failed = true;
                        break;
                    }
                    if (result.status == sdk::DispatchResult::Status::refused)
                        host_->log().info("telegram: " + bot_name(bot->bot) + ": start in chat " +
                                          std::to_string(m.event.chat_id) + " refused: " + result.message);
                    ++dispatched;
                } else if (m.outcome == MappedUpdate::Outcome::malformed) {
                    host_->log().warn("telegram: " + bot_name(bot->bot) +
                                      ": skipping a malformed update: " + m.reason);
                } else {
                    host_->log().debug("telegram: " + bot_name(bot->bot) + ": skipping " + m.reason);
                }
                if (m.update_id) next = std::max(next, *m.update_id + 1);
            }
            wake_outbox();
            // Only now: every update below `next` is committed. The next
            // getUpdates confirms them to Telegram.
            bot->offset = next;
            if (next != bot->saved_offset &&
                std::chrono::steady_clock::now() - saved_at >= settings_.offset_save) {
                saved_at = std::chrono::steady_clock::now();
                auto saving = save_offset(bot);
                co_await std::move(saving);
            }
            if (failed) co_await sleep(backoff_delay(failures++, settings_.backoff_initial, 30s));
        }
        // The bot moved to another process (or was disabled): that one starts where this one stopped.
        if (!stopping_ && bot->offset != bot->saved_offset) {
            auto saving = save_offset(bot);
            co_await std::move(saving);
        }
    }

    awaitable<void> set_webhook(std::shared_ptr<BotState> bot) {
        if (settings_.public_url.empty()) {
            host_->log().error("telegram: " + bot_name(bot->bot) +
                               " is in webhook mode but settings.public_url is not set");
            report_health(bot, "failing", "webhook mode needs the transport's public_url setting");
            co_return;
        }
        int failures = 0;
        while (!stopping_ && bot->wanted) {
            json params{{"url", settings_.public_url + "/telegram/webhook/" + std::to_string(bot->bot.id)},
                        {"secret_token", bot->webhook_secret},
                        {"allowed_updates", kAllowedUpdates}};
            const auto reply =
                co_await client_->call(bot->token, "setWebhook", params, settings_.send_timeout);
            const auto outcome = classify_reply(reply.status, reply.body);
            if (outcome.kind == BotApiOutcome::Kind::ok) {
                bot->serving = true;
                host_->log().info("telegram: " + bot_name(bot->bot) + ": webhook set");
                report_health(bot, "webhook");
                co_return;
            }
            if (outcome.kind == BotApiOutcome::Kind::permanent)
                bot->serving = true;  // waiting would not help
            report_health(bot, "failing", "setWebhook: " + outcome.description);
            const Millis delay = backoff_delay(failures++, settings_.backoff_initial, 60s);
            host_->log().warn("telegram: " + bot_name(bot->bot) + ": setWebhook failed (" +
                              outcome.description + "); again in " + std::to_string(delay.count()) + " ms");
            co_await sleep(delay);
        }
    }

    awaitable<void> delete_webhook(std::shared_ptr<BotState> bot) {
        co_await client_->call(bot->token, "deleteWebhook", json::object(), settings_.send_timeout);
    }

    // A webhook delivery: answered 200 only once the engine committed the
    // update (or it can never be handled), so Telegram retries the rest.
    sdk::HttpResponse on_webhook(const sdk::HttpRequest& request) {
        auto status = [](int code, std::string text) {
            sdk::HttpResponse r;
            r.status = code;
            r.body = json{{"ok", code == 200}, {"description", std::move(text)}}.dump();
            return r;
        };
        if (stopping_) return status(503, "stopping");
        sdk::Id id = 0;
        const auto& text = request.path_params.at("bot_id");
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
        auto bot = ec == std::errc() && ptr == text.data() + text.size() ? find_webhook_bot(id) : nullptr;
        // A path naming no webhook bot is refused as a wrong secret is, and
        // after the same comparison: otherwise the answers would tell which
        // bot ids exist on this platform.
        const bool known = bot && bot->bot.mode == "webhook";
        static const std::string kNoSecret = derived_webhook_secret("");
        const bool same = same_secret(request.header("x-telegram-bot-api-secret-token"),
                                      known ? bot->webhook_secret : kNoSecret);
        if (!known || !same) return status(401, "wrong secret token");
        const auto update = sdk::parse_json_input(request.body);
        auto mapped = map_update(update, bot->bot.id, bot->bot.username);
        if (mapped.outcome == MappedUpdate::Outcome::malformed) {
            host_->log().warn("telegram: " + bot_name(bot->bot) +
                              ": skipping a malformed webhook update: " + mapped.reason);
            return status(200, "skipped");
        }
        if (mapped.outcome == MappedUpdate::Outcome::skipped) return status(200, "skipped");
        if (wants_document_content(mapped, settings_.max_document_bytes)) {
            // A handler thread, not the transport's: it may wait for the fetch,
            // though not forever (a stopping transport runs nothing more). The
            // fetch owns what it fills in, so giving up on it leaves it nothing
            // of this frame to write to.
            auto fetching = std::make_shared<MappedUpdate>(mapped);
            auto fetch = [this, bot, fetching]() -> awaitable<bool> {
                auto fetched = fetch_document(*bot, *fetching);
                co_return co_await std::move(fetched);
            };
            auto fetched = asio::co_spawn(io_, std::move(fetch), asio::use_future);
            bool complete = false;
            try {
                if (fetched.wait_for(2 * settings_.send_timeout + std::chrono::seconds(1)) ==
                    std::future_status::ready) {
                    complete = fetched.get();
                    mapped.event.text = fetching->event.text;
                }
            } catch (const std::exception& e) {
                host_->log().warn("telegram: " + bot_name(bot->bot) +
                                  ": cannot fetch a document: " + e.what());
            }
            if (!complete) return status(503, "the file could not be fetched yet");
        }
        const auto result = dispatch_update(*bot, mapped);
        if (result.status == sdk::DispatchResult::Status::failed) {
            host_->log().error("telegram: " + bot_name(bot->bot) + ": webhook update " +
                               std::to_string(*mapped.update_id) + " not handled: " + result.message);
            return status(500, "not handled");
        }
        wake_outbox();
        return status(200, "ok");
    }

    // --- outbox out -------------------------------------------------------------------------

    awaitable<void> drain_outbox() {
        while (!stopping_) {
            outbox_woken_ = false;
            const auto read_at = std::chrono::steady_clock::now();
            try {
                const int batch = settings_.outbox_batch;
                // A read: it neither waits for the engine's commit (and its
                // fsync) nor holds the engine's next one back.
                auto work3 = [this, batch] {
                    auto tx = host_->storage().begin_read();
                    auto due = tx->pending_outbox_of_holder_all_accounts(holder_, epoch_ms(), batch);
                    tx->commit();
                    return due;
                };
                auto rows = co_await blocking(std::move(work3));
                host_->metrics().set("profo_outbox_due_messages", {}, static_cast<double>(rows.size()));
                start_sends(rows);
            } catch (const std::exception& e) {
                host_->log().error(std::string("telegram: cannot read the outbox: ") + e.what());
            }
            if (outbox_woken_) {
                // Every update handled and every send done wakes the outbox;
                // under load, reading it once per wake cost a third of the
                // process. Wakes this close together share one read.
                const auto since = std::chrono::steady_clock::now() - read_at;
                if (since < settings_.outbox_coalesce)
                    co_await sleep(std::chrono::duration_cast<Millis>(settings_.outbox_coalesce - since));
                continue;
            }
            outbox_wake_.expires_after(settings_.outbox_interval);
            boost::system::error_code ec;
            co_await outbox_wake_.async_wait(asio::redirect_error(use_awaitable, ec));
        }
    }

    // Picks the head of each chat that pacing allows and sends it; one
    // message per chat in flight keeps every chat in order.
    void start_sends(const std::vector<sdk::OutboxMessage>& rows) {
        const auto now = std::chrono::steady_clock::now();
        {
            // Leases that may have expired (the database was out of reach) may
            // be another process's now: sending too could send twice.
            std::lock_guard lock(mutex_);
            if (now >= leases_valid_until_) return;
        }
        // Each chat's oldest due row: the scan is in due order, and a row
        // enqueued in the same millisecond as (or, after a clock step, before)
        // a later one must still go first.
        std::map<ChatKey, const sdk::OutboxMessage*> oldest;
        for (const auto& row : rows) {
            auto [it, first] = oldest.try_emplace({row.bot_id, row.chat_id}, &row);
            if (!first && row.id < it->second->id) it->second = &row;
        }
        std::vector<std::pair<sdk::OutboxMessage, std::shared_ptr<BotState>>> go;
        {
            std::lock_guard lock(mutex_);
            for (const auto& [key, head] : oldest) {
                const auto& row = *head;
                if (in_flight_.count(key)) continue;
                // A scan read before a send's commit still shows its row.
                if (auto settled = settled_up_to_.find(key);
                    settled != settled_up_to_.end() && row.id <= settled->second)
                    continue;
                if (auto hold = chat_hold_.find(key); hold != chat_hold_.end()) {
                    if (hold->second > now) continue;
                    chat_hold_.erase(hold);
                }
                auto bot = bots_.find(row.bot_id);
                if (bot == bots_.end()) continue;  // disabled or not yet read: its messages wait
                auto& state = *bot->second;
                if (state.paused_until > now) continue;
                // Answers and chat actions are not messages: Telegram does not count them.
                const bool paced =
                    row.payload_json.find(R"("kind":"callback_answer")") == std::string::npos &&
                    row.payload_json.find(R"("kind":"typing")") == std::string::npos;
                if (paced) {
                    const auto pace = chat_pace(row.chat_id, settings_.chat_per_second, settings_.chat_burst,
                                                settings_.group_per_minute);
                    auto& chat =
                        chat_buckets_.try_emplace(key, pace.per_second, pace.burst, now).first->second;
                    if (!chat.available(now) || !state.bucket.available(now)) continue;
                    chat.take(now);
                    state.bucket.take(now);
                }
                in_flight_.insert(key);
                go.emplace_back(row, bot->second);
            }
        }
        for (auto& [row, bot] : go) spawn(send(row, bot), "sending");
    }

    awaitable<void> send(sdk::OutboxMessage row, std::shared_ptr<BotState> bot) {
        const ChatKey key{row.bot_id, row.chat_id};
        try {
            co_await send_head(row, bot);
        } catch (const std::exception& e) {
            host_->log().error("telegram: " + bot_name(bot->bot) + ": sending outbox message " +
                               std::to_string(row.id) + " failed: " + e.what());
        }
        {
            std::lock_guard lock(mutex_);
            in_flight_.erase(key);
        }
        wake_outbox();
    }

    awaitable<void> send_head(sdk::OutboxMessage row, std::shared_ptr<BotState> bot) {
        const auto account = row.account_id;
        // A retried message earlier in the chat holds the ones after it back,
        // even when they are due sooner: it is pending but not due, so the due
        // scan does not show it. Storage knows; after one look at a chat (and
        // until a send in it is retried) this process does: what it has not
        // settled is due, and the oldest due row is the head. That look reads
        // the chat's whole outbox, which grows with every message it was sent.
        const ChatKey key{row.bot_id, row.chat_id};
        bool head_known = false;
        {
            std::lock_guard lock(mutex_);
            head_known = settled_up_to_.count(key) > 0;
        }
        std::optional<sdk::OutboxMessage> head = row;
        if (!head_known) {
            auto work4 = [this, row]() -> std::optional<sdk::OutboxMessage> {
                auto tx = host_->storage().begin_read();
                for (auto& m : tx->list_outbox(row.account_id, row.bot_id, row.chat_id))
                    if (m.status == "pending") return m;
                return std::nullopt;
            };
            head = co_await blocking(std::move(work4));
        }
        if (!head) co_return;  // already sent
        if (head->id != row.id) {
            if (head->next_attempt_at > epoch_ms()) {
                std::lock_guard lock(mutex_);
                chat_hold_[{row.bot_id, row.chat_id}] =
                    std::chrono::steady_clock::now() + Millis(head->next_attempt_at - epoch_ms());
                co_return;
            }
            row = *head;
        }
        if (!head_known) settle(key, row.id - 1);  // everything older is settled
        sdk::OutboundMessage message;
        BotApiCall call;
        std::string unreadable;
        try {
            message = sdk::outbound_from_json(row.payload_json);
            call = bot_api_call(message, row.chat_id);
        } catch (const std::exception& e) {
            unreadable = std::string("unreadable outbox payload: ") + e.what();
        }
        if (!unreadable.empty()) {
            co_await settle_failed(row, unreadable);
            co_return;
        }
        // Counted until its record is committed or the send ends otherwise (see kPollGrace).
        struct UnrecordedPoll {
            BotState* bot = nullptr;
            ~UnrecordedPoll() {
                if (bot) --bot->polls_unrecorded;
            }
        } unrecorded;
        if (message.kind == sdk::OutboundMessage::Kind::poll) {
            ++bot->polls_unrecorded;
            unrecorded.bot = bot.get();
        }
        const auto sent_at = std::chrono::steady_clock::now();
        auto send = [&] {
            return call.upload ? client_->upload(bot->token, call.method, call.params, *call.upload,
                                                 settings_.send_timeout)
                               : client_->call(bot->token, call.method, call.params, settings_.send_timeout);
        };
        auto reply = co_await send();
        auto outcome = classify_reply(reply.status, reply.body);
        if (outcome.kind == BotApiOutcome::Kind::permanent && !message.parse_mode.empty() &&
            outcome.description.find("can't parse entities") != std::string::npos) {
            // Formatting Telegram cannot read (an author's stray '*', a
            // tag it does not know) would cost the student the message and
            // leave the run waiting on it: it goes as plain text instead,
            // its marks shown as written.
            host_->log().warn(
                "telegram: " + bot_name(bot->bot) + ": outbox message " + std::to_string(row.id) +
                (message.element_id.empty() ? "" : " (element " + message.element_id + ")") + ": " +
                outcome.description + "; sent without " + message.parse_mode + " formatting");
            message.parse_mode.clear();
            call = bot_api_call(message, row.chat_id);
            reply = co_await send();
            outcome = classify_reply(reply.status, reply.body);
        }
        host_->metrics().observe(
            "profo_telegram_send_duration_seconds", {},
            std::chrono::duration<double>(std::chrono::steady_clock::now() - sent_at).count());
        host_->metrics().add("profo_telegram_sends_total", {{"result", outcome_name(outcome.kind)}});
        switch (outcome.kind) {
            case BotApiOutcome::Kind::ok: {
                std::optional<sdk::PollRecord> poll;
                if (message.kind == sdk::OutboundMessage::Kind::poll && row.run_id &&
                    outcome.result.is_object() && outcome.result.contains("poll") &&
                    outcome.result["poll"].value("id", json()).is_string()) {
                    poll = sdk::PollRecord{
                        account,     row.bot_id,         outcome.result["poll"]["id"].get<std::string>(),
                        *row.run_id, message.element_id, message.activation,
                        epoch_ms()};
                }
                auto marked = mark_sent(SentMark{row.account_id, row.id, std::move(poll)});
                co_await std::move(marked);
                settle(key, row.id);
                break;
            }
            case BotApiOutcome::Kind::retry_after: {
                std::lock_guard lock(mutex_);
                bot->paused_until =
                    std::chrono::steady_clock::now() + std::chrono::seconds(outcome.retry_after_s);
                host_->log().warn("telegram: " + bot_name(bot->bot) + ": flood limit, nothing sent for " +
                                  std::to_string(outcome.retry_after_s) + " s");
                break;
            }
            case BotApiOutcome::Kind::transient: {
                const auto delay =
                    backoff_delay(row.attempts, settings_.backoff_initial, settings_.backoff_max);
                const auto error = call.method + ": " + outcome.description;
                auto work6 = [this, row, delay, error] {
                    auto tx = host_->storage().begin();
                    tx->mark_outbox_retry(row.account_id, row.id, epoch_ms() + delay.count(), error);
                    tx->commit();
                };
                co_await blocking(std::move(work6));
                {
                    std::lock_guard lock(mutex_);
                    chat_hold_[{row.bot_id, row.chat_id}] = std::chrono::steady_clock::now() + delay;
                    settled_up_to_.erase(key);  // the head is now a row the due scan does not show
                }
                host_->log().warn("telegram: " + bot_name(bot->bot) + ": outbox message " +
                                  std::to_string(row.id) + " failed (" + error + "); again in " +
                                  std::to_string(delay.count()) + " ms");
                report_health(bot, {}, error);
                break;
            }
            case BotApiOutcome::Kind::permanent:
                report_health(bot, {}, call.method + ": " + outcome.description);
                co_await settle_failed(row, call.method + ": " + outcome.description);
                break;
            case BotApiOutcome::Kind::blocked: co_await chat_gone(row, bot, outcome.description); break;
        }
    }

    // --- sent marks -------------------------------------------------------------------

    // A message Telegram took, to be marked sent (and its poll recorded).
    struct SentMark {
        sdk::Id account_id = 0;
        sdk::Id outbox_id = 0;
        std::optional<sdk::PollRecord> poll;
    };
    using MarkDone = asio::any_completion_handler<void(std::exception_ptr)>;

    // Resumes once the mark is committed. The marks of every chat that come
    // while one transaction writes go together in the next: a commit (under
    // synchronous=FULL, an fsync) per sent message held bench/telegram_bench
    // to ~1,500 updates/s, ~3,800 so. The chat's next message waits for this
    // mark all the same (the chat stays in flight), so a crash still resends
    // at most the one message per chat that Telegram had taken.
    // The marks' commit does not wait for the disk (begin_unsynced): its
    // fsync made every reply behind it wait, and the handled updates' commits
    // queue behind it for SQLite's one writer. A mark a power loss undoes only
    // sends its message again, as one in flight at a crash is; the next
    // synced commit or checkpoint, within a fraction of a second, makes it
    // durable.
    awaitable<void> mark_sent(SentMark mark) {
        return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr)>(
            [this](auto handler, SentMark mark) {
                bool start = false;
                {
                    std::lock_guard lock(marks_mutex_);
                    marks_.push_back(std::move(mark));
                    marks_done_.emplace_back(std::move(handler));
                    start = !marking_;
                    marking_ = true;
                }
                if (start) spawn(write_sent_marks(), "marking sent messages");
            },
            use_awaitable, std::move(mark));
    }

    awaitable<void> write_sent_marks() {
        for (;;) {
            std::vector<SentMark> marks;
            std::vector<MarkDone> done;
            {
                std::lock_guard lock(marks_mutex_);
                if (marks_.empty()) {
                    marking_ = false;
                    co_return;
                }
                marks.swap(marks_);
                done.swap(marks_done_);
            }
            std::vector<std::exception_ptr> errors;
            try {
                auto work5 = [this, marks] { return store_sent_marks(marks); };
                errors = co_await blocking(std::move(work5));
            } catch (...) {
                errors.assign(done.size(), std::current_exception());
            }
            // Every waiter is a coroutine of io_: resumed there, not on this stack.
            for (std::size_t i = 0; i < done.size(); ++i)
                asio::post(io_, [handler = std::move(done[i]), error = errors[i]]() mutable {
                    std::move(handler)(error);
                });
        }
    }

    // On the storage pool: one transaction for all; when it fails (a poll an
    // earlier try had recorded, a lost connection), each mark alone, so one
    // bad row holds no other chat back.
    std::vector<std::exception_ptr> store_sent_marks(const std::vector<SentMark>& marks) {
        std::vector<std::exception_ptr> errors(marks.size());
        if (marks.size() > 1) {
            try {
                auto tx = host_->storage().begin_unsynced();
                for (const auto& mark : marks) write_sent_mark(*tx, mark, true);
                tx->commit();
                return errors;
            } catch (const std::exception&) {
                // Each alone below says which failed.
            }
        }
        for (std::size_t i = 0; i < marks.size(); ++i) {
            try {
                store_sent_mark(marks[i]);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        }
        return errors;
    }

    void store_sent_mark(const SentMark& mark) {
        try {
            auto tx = host_->storage().begin_unsynced();
            write_sent_mark(*tx, mark, true);
            tx->commit();
        } catch (const sdk::StorageError& e) {
            if (e.code() != sdk::StorageError::Code::conflict) throw;
            auto tx = host_->storage().begin_unsynced();  // the poll was recorded by an earlier try
            write_sent_mark(*tx, mark, false);
            tx->commit();
        }
    }

    static void write_sent_mark(sdk::StorageTx& tx, const SentMark& mark, bool with_poll) {
        if (with_poll && mark.poll) tx.record_poll(mark.account_id, *mark.poll);
        tx.mark_outbox_sent(mark.account_id, mark.outbox_id);
    }

    awaitable<void> settle_failed(const sdk::OutboxMessage& row, std::string error) {
        host_->log().warn("telegram: outbox message " + std::to_string(row.id) + " to chat " +
                          std::to_string(row.chat_id) + " given up: " + error);
        auto work7 = [this, row, error] {
            auto tx = host_->storage().begin();
            tx->mark_outbox_failed(row.account_id, row.id, error);
            tx->commit();
        };
        co_await blocking(std::move(work7));
        settle({row.bot_id, row.chat_id}, row.id);
    }

    // Rows of the chat up to `id` are sent or given up, and this process knows
    // its head from here on (see send_head).
    void settle(const ChatKey& key, sdk::Id id) {
        std::lock_guard lock(mutex_);
        // Forgetting only costs one more look per chat: bound the memory.
        if (settled_up_to_.size() >= 100000 && !settled_up_to_.count(key)) settled_up_to_.clear();
        auto& settled = settled_up_to_[key];
        settled = std::max(settled, id);
    }

    // 403: the student blocked the bot (or is gone): nothing more goes to the
    // chat, and the run ends as blocked.
    awaitable<void> chat_gone(const sdk::OutboxMessage& row, std::shared_ptr<BotState> bot,
                              std::string reason) {
        host_->log().info("telegram: " + bot_name(bot->bot) + ": chat " + std::to_string(row.chat_id) +
                          " is closed: " + reason);
        {
            std::lock_guard lock(mutex_);
            settled_up_to_.erase({row.bot_id, row.chat_id});
        }
        auto work8 = [this, row, reason] {
            auto tx = host_->storage().begin();
            for (const auto& m : tx->list_outbox(row.account_id, row.bot_id, row.chat_id))
                if (m.status == "pending") tx->mark_outbox_failed(row.account_id, m.id, reason);
            tx->commit();
            sdk::InboundEvent event;
            event.kind = sdk::InboundEvent::Kind::blocked;
            event.bot_id = row.bot_id;
            event.chat_id = row.chat_id;
            event.user_id = row.chat_id;
            host_->engine().dispatch(event);
        };
        co_await blocking(std::move(work8));
    }

    sdk::TransportHost* host_ = nullptr;
    Settings settings_;
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
    asio::strand<asio::io_context::executor_type> outbox_strand_ = asio::make_strand(io_);
    asio::steady_timer outbox_wake_{outbox_strand_};
    bool outbox_woken_ = false;  // on outbox_strand_ only
    std::unique_ptr<BotApiClient> client_;
    std::unique_ptr<asio::thread_pool> storage_pool_;
    // Batches handed to the engine (dispatched()) and not settled yet.
    std::mutex dispatches_mutex_;
    std::condition_variable dispatches_settled_;
    int dispatches_in_flight_ = 0;
    std::vector<std::thread> threads_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> loaded_{false};

    mutable std::mutex mutex_;
    // Poll ids answered before their poll was recorded, with when first seen.
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> unknown_polls_;
    std::map<sdk::Id, std::shared_ptr<BotState>> bots_;      // served: leased to this process
    std::map<sdk::Id, std::shared_ptr<BotState>> webhooks_;  // every webhook bot, for deliveries
    SteadyTime leases_valid_until_{};
    const std::string holder_ = lease_holder_name();
    // Surplus leases to give back at the next renewal.
    std::vector<sdk::Id> give_back_;
    std::set<ChatKey> in_flight_;
    std::map<ChatKey, TokenBucket> chat_buckets_;
    std::map<ChatKey, SteadyTime> chat_hold_;
    // Chats whose head this process knows: the highest outbox id it settled.
    std::map<ChatKey, sdk::Id> settled_up_to_;

    std::mutex marks_mutex_;
    // Sent marks waiting for the next transaction, and their waiters.
    std::vector<SentMark> marks_;
    std::vector<MarkDone> marks_done_;
    bool marking_ = false;  // write_sent_marks() is running
};

}  // namespace

}  // namespace profo::telegram

PROFO_PLUGIN(profo::telegram::TelegramTransport, transport)
