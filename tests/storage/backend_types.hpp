// The storage backends a typed test runs on, each named by its plugin id in
// the test's name (StorageConformance/sqlite.X, .../postgres.X).
#pragma once

#include "storage_backends.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace profo::storage_test {

using Backends = ::testing::Types<SqliteBackend, PostgresBackend>;

class BackendNames {
public:
    template <class T>
    static std::string GetName(int) {
        return T::kPluginId;
    }
};

// A typed test on a fresh, migrated database of Backend. Skipped when the
// backend cannot run here, failed instead under PROFO_REQUIRE_PG=1 (CI), so a
// missing server cannot pass silently. A derived SetUp calls this one first
// and returns when stopped().
template <class Backend>
class MigratedStorageTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (auto reason = Backend::unavailable()) {
            const char* required = std::getenv("PROFO_REQUIRE_PG");
            if (required != nullptr && std::string(required) == "1") FAIL() << *reason;
            GTEST_SKIP() << *reason;
        }
        database_ = std::make_unique<typename Backend::Database>();
        auto module = load_module(Backend::module());
        storage_ = module->keep_alive(module->template as<sdk::StoragePlugin>().open(database_->options()));
        storage_->migrate();
    }
    static bool stopped() { return IsSkipped() || HasFatalFailure(); }

    std::unique_ptr<typename Backend::Database> database_;
    std::shared_ptr<sdk::Storage> storage_;
};

}  // namespace profo::storage_test
