// `profo plugins` prints a table whose columns fit their longest cell, so a
// long id or version never shifts the columns after it.
#include "build_tree.hpp"
#include "process.hpp"
#include "test_config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace profo::testing {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

TEST(PluginsTable, ColumnsFitALongIdAndVersion) {
    TempDir dir;
    const auto config = dir / "profo.yaml";
    std::ofstream(config) << "log: {level: warn}\n"
                          << "plugins:\n  search_paths: [\""
                          << (profo::build_tree::root() / "tests/plugins_table/modules").string() << "\"]\n";
    const auto r = run_process(profo_command(config, {"plugins"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    const std::string id = "a_rather_long_plugin_identifier";
    const std::string version = "12.345.6789-beta.42+build.20250101";
    const auto& header = lines[0];
    const auto& row = lines[1];
    // Every column starts where its heading does, two spaces after the widest cell.
    EXPECT_EQ(row.find(id), header.find("ID")) << r.out;
    EXPECT_EQ(row.find(version), header.find("VERSION")) << r.out;
    EXPECT_EQ(header.find("VERSION"), header.find("ID") + id.size() + 2) << r.out;
    EXPECT_EQ(header.find("STATE"), header.find("VERSION") + version.size() + 2) << r.out;
    EXPECT_EQ(row.find("disabled"), header.find("STATE")) << r.out;
    EXPECT_EQ(row.find(" /") + 1, header.find("FILE")) << r.out;
    EXPECT_NE(row.find("/profo_transport_long_version.so"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace profo::testing
