// Where the build put what the tests run. Every executable, the tests
// included, is built into <tree>/bin, so a test finds its tree from its own
// path instead of carrying the tree's absolute path in its code: the release
// and the sanitizer trees then compile byte-identical test objects, and
// ccache compiles them once for both (scripts/sanitize.sh).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace profo::build_tree {

// The build tree of the running executable (the parent of its bin/).
const std::filesystem::path& root();

// <tree>/plugins: every plugin module the build produced.
std::filesystem::path plugin_dir();

// <tree>/bin/<name>, as a process's argv[0] takes it.
std::string executable(std::string_view name);

}  // namespace profo::build_tree
