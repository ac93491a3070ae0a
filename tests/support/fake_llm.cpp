#include "fake_llm.hpp"

#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

namespace profo::testing {

using namespace std::chrono_literals;

FakeLlm::FakeLlm(const std::string& binary, const TempDir& dir, const nlohmann::json& script)
    : script_(dir / "script.json"), log_(dir / "llm-requests.jsonl") {
    std::ofstream(script_) << script.dump();
    process_ = std::make_unique<RunningProcess>(std::vector<std::string>{
        binary, "--port", "0", "--script", script_.string(), "--log", log_.string()});
    std::smatch m;
    static const std::regex re(R"(listening on 127\.0\.0\.1:([0-9]+)\n)");
    for (int i = 0; i < 100; ++i) {
        const std::string err = process_->wait_for_stderr("listening on", 30s);
        if (std::regex_search(err, m, re)) {
            port_ = static_cast<unsigned short>(std::stoi(m[1].str()));
            return;
        }
        std::this_thread::sleep_for(20ms);
    }
    throw std::runtime_error("profo-fake-llm printed no port: " + process_->err());
}

std::vector<nlohmann::json> FakeLlm::requests() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(log_);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    return out;
}

}  // namespace profo::testing
