// profo-fake-llm (tools/fake_llm), running for one test: its script written
// into the test's folder, its port read from what it prints, its request log
// read back.
#pragma once

#include "process.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace profo::testing {

class FakeLlm {
public:
    // `binary` is the built profo-fake-llm (tests get its path from CMake).
    FakeLlm(const std::string& binary, const TempDir& dir, const nlohmann::json& script);

    unsigned short port() const { return port_; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

    // Every request received so far, oldest first.
    std::vector<nlohmann::json> requests() const;

private:
    std::filesystem::path script_;
    std::filesystem::path log_;
    std::unique_ptr<RunningProcess> process_;
    unsigned short port_ = 0;
};

}  // namespace profo::testing
