// The storage backends a typed test runs on, each named by its plugin id in
// the test's name (StorageConformance/sqlite.X, .../postgres.X).
#pragma once

#include "storage_backends.hpp"

#include <gtest/gtest.h>

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

}  // namespace profo::storage_test
