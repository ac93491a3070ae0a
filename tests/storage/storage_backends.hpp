// The databases the storage suites run against: each backend names its plugin
// module and makes a fresh, empty database per test, with raw SQL access for
// what the Storage interface cannot do (e.g. plant a future schema version).
#pragma once

#include "build_tree.hpp"
#include "plugins/plugin_loader.hpp"

#include <profo/sdk/storage.hpp>

#include <libpq-fe.h>
#include <sqlite3.h>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

namespace profo::storage_test {

// The module is loaded once per process through the host's own loader.
inline std::shared_ptr<host::LoadedPlugin> load_module(const std::filesystem::path& module) {
    static std::map<std::filesystem::path, std::shared_ptr<host::LoadedPlugin>> loaded;
    auto& slot = loaded[module];
    if (!slot) slot = host::load_plugin_file(module);
    return slot;
}

struct SqliteBackend {
    static constexpr const char* kPluginId = "sqlite";
    static std::filesystem::path module() {
        return profo::build_tree::plugin_dir() / "profo_storage_sqlite.so";
    }
    static std::optional<std::string> unavailable() { return std::nullopt; }

    // A database file in a folder of its own, removed afterwards.
    class Database {
    public:
        Database() {
            std::string pattern =
                (std::filesystem::temp_directory_path() / "profo-storage-test-XXXXXX").string();
            if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
            folder_ = pattern;
        }
        ~Database() {
            std::error_code ignored;
            std::filesystem::remove_all(folder_, ignored);
        }
        Database(const Database&) = delete;
        Database& operator=(const Database&) = delete;

        sdk::StorageOptions options() const {
            sdk::StorageOptions options;
            // A folder that does not exist yet: the plugin creates it.
            options.dsn = (folder_ / "data" / "profo.db").string();
            options.pool_size = 4;
            options.busy_timeout_ms = 10000;
            // No fsync per commit: nothing here outlives a power loss anyway.
            options.sqlite_synchronous = sdk::SqliteSynchronous::normal;
            return options;
        }

        void execute(const std::string& sql) const {
            sqlite3* db = nullptr;
            if (sqlite3_open((folder_ / "data" / "profo.db").c_str(), &db) != SQLITE_OK) {
                sqlite3_close(db);
                throw std::runtime_error("cannot open the test database");
            }
            sqlite3_busy_timeout(db, 10000);
            char* error = nullptr;
            int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
            std::string message = error != nullptr ? error : "";
            sqlite3_free(error);
            sqlite3_close(db);
            if (rc != SQLITE_OK) throw std::runtime_error("sqlite: " + message + " in: " + sql);
        }

    private:
        std::filesystem::path folder_;
    };
};

struct PostgresBackend {
    static constexpr const char* kPluginId = "postgres";
    static std::filesystem::path module() {
        return profo::build_tree::plugin_dir() / "profo_storage_postgres.so";
    }

    static std::string server_dsn() {
        const char* dsn = std::getenv("PROFO_TEST_PG_DSN");
        return dsn != nullptr ? dsn : "";
    }

    static std::optional<std::string> unavailable() {
        if (!server_dsn().empty()) return std::nullopt;
        return std::string(
            "PROFO_TEST_PG_DSN is not set, so there is no PostgreSQL to test against; start one with "
            "`export PROFO_TEST_PG_DSN=\"$(scripts/pg-test-server.sh start)\"`");
    }

    // A schema of its own in the server's database, dropped afterwards; the
    // storage reaches it through search_path.
    class Database {
    public:
        Database() : schema_(next_schema_name()) { execute_on_server("CREATE SCHEMA " + schema_); }
        ~Database() {
            try {
                execute_on_server("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
            } catch (...) {
            }
        }
        Database(const Database&) = delete;
        Database& operator=(const Database&) = delete;

        sdk::StorageOptions options() const {
            sdk::StorageOptions options;
            options.dsn = server_dsn() + " options='-csearch_path=" + schema_ + "'";
            options.pool_size = 4;
            options.busy_timeout_ms = 10000;
            return options;
        }

        void execute(const std::string& sql) const {
            execute_on_server("SET search_path TO " + schema_ + "; " + sql);
        }

        // Ends the server sessions of `application_name`, as a server restart
        // would, and waits until they are gone.
        static void drop_sessions(const std::string& application_name) {
            const std::string where =
                " FROM pg_stat_activity WHERE application_name = '" + application_name + "'";
            execute_on_server("SELECT pg_terminate_backend(pid)" + where);
            for (int attempt = 0; attempt < 100; ++attempt) {
                if (query_integer_on_server("SELECT COUNT(*)" + where) == 0) return;
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            throw std::runtime_error("sessions of " + application_name + " did not end");
        }

    private:
        static std::string next_schema_name() {
            static std::atomic<int> counter{0};
            return "profo_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
        }

        static long long query_integer_on_server(const std::string& sql) {
            PGconn* connection = PQconnectdb(server_dsn().c_str());
            PGresult* result = PQexec(connection, sql.c_str());
            bool ok = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1;
            long long value = ok ? std::stoll(PQgetvalue(result, 0, 0)) : -1;
            std::string message = PQresultErrorMessage(result);
            PQclear(result);
            PQfinish(connection);
            if (!ok) throw std::runtime_error("postgres: " + message + " in: " + sql);
            return value;
        }

        static void execute_on_server(const std::string& sql) {
            PGconn* connection = PQconnectdb(server_dsn().c_str());
            if (PQstatus(connection) != CONNECTION_OK) {
                std::string message = PQerrorMessage(connection);
                PQfinish(connection);
                throw std::runtime_error("cannot connect to PROFO_TEST_PG_DSN: " + message);
            }
            PGresult* result = PQexec(connection, ("SET client_min_messages = warning; " + sql).c_str());
            ExecStatusType status = PQresultStatus(result);
            std::string message = PQresultErrorMessage(result);
            PQclear(result);
            PQfinish(connection);
            if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
                throw std::runtime_error("postgres: " + message + " in: " + sql);
        }

        std::string schema_;
    };
};

}  // namespace profo::storage_test
