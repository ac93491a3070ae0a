#include "build_tree.hpp"

#include <stdexcept>
#include <system_error>

namespace profo::build_tree {

namespace fs = std::filesystem;

const fs::path& root() {
    static const fs::path tree = [] {
        std::error_code error;
        const fs::path self = fs::read_symlink("/proc/self/exe", error);
        if (error) throw std::runtime_error("cannot resolve /proc/self/exe: " + error.message());
        if (self.parent_path().filename() != "bin")
            throw std::runtime_error(self.string() + " is not in a build tree's bin/ folder");
        return self.parent_path().parent_path();
    }();
    return tree;
}

fs::path plugin_dir() {
    return root() / "plugins";
}

std::string executable(std::string_view name) {
    return (root() / "bin" / name).string();
}

}  // namespace profo::build_tree
