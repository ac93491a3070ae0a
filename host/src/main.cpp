#include "cli/command.hpp"

#include <iostream>

int main(int argc, char** argv) {
    profo::host::CommandIo io{std::cin, std::cout, std::cerr, profo::host::process_environment()};
    const std::vector<std::string> args(argv + 1, argv + argc);
    try {
        return profo::host::build_command_tree().dispatch(io, args);
    } catch (const std::exception& e) {
        std::cerr << "profo: " << e.what() << "\n";
        return 1;
    }
}
