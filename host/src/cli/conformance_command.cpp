// `profo conformance MODULE...`: a plugin module checked against its kind's
// contract, the way the in-tree suite checks the built ones, so a team can
// check its own module outside this repository.
#include "cli/command.hpp"
#include "conformance/element_contract.hpp"
#include "conformance/enrollment_contract.hpp"
#include "plugins/plugin_loader.hpp"

#include <ostream>

namespace profo::host {

namespace {

int run_conformance(CommandIo& io, const std::vector<std::string>& raw) {
    const Arguments args(raw, {}, {});
    if (args.positionals().empty()) throw UsageError("name at least one plugin module (.so)");
    bool all_ok = true;
    for (const auto& file : args.positionals()) {
        std::vector<std::string> problems;
        std::shared_ptr<LoadedPlugin> module;
        try {
            module = load_plugin_file(file);
        } catch (const std::exception& e) {
            problems.push_back(std::string("cannot be loaded: ") + e.what());
        }
        if (module) {
            if (module->metadata().kind == sdk::PluginKind::element)
                problems = element_contract_violations(*module);
            else if (module->metadata().kind == sdk::PluginKind::enrollment)
                problems = enrollment_contract_violations(*module);
        }
        if (problems.empty()) {
            io.out << file << ": ok (" << module->metadata().qualified_id() << " "
                   << module->metadata().version << ")\n";
            continue;
        }
        all_ok = false;
        for (const auto& problem : problems) io.out << file << ": " << problem << "\n";
    }
    return all_ok ? 0 : 1;
}

}  // namespace

void add_conformance_command(CommandTree& tree) {
    tree.add({"conformance",
              "check plugin modules against the SDK contract",
              "Usage: profo conformance MODULE.so [MODULE.so...]\n\n"
              "Loads each module as `profo serve` would (ABI, toolchain and entry symbol are\n"
              "checked before any of its code runs) and checks its kind's contract. Element\n"
              "modules: the id, type() and file name agree; type and aliases are lower-case\n"
              "words; json_schema() describes every field with a description; fields() lists\n"
              "exactly the schema's properties; compile() never throws on hostile input,\n"
              "reports every problem with a message, returns a spec exactly when it reported\n"
              "no error, and refuses an empty element when fields are required. Enrollment\n"
              "(token type) modules: the id, type() and file name agree; description() is one\n"
              "line; prepare_token() refuses hostile tokens only with std::invalid_argument\n"
              "naming the field; a fresh token admits its first start; asking (consume off)\n"
              "takes no use; revoked, paused, expired, not yet open, closed and used-up tokens\n"
              "and forged link arguments are refused for the right reason and take no use.\n"
              "Prints one line per broken rule, or `ok`, and exits 1 when any module breaks a\n"
              "rule.\n"
              "The module's own code runs, so check untrusted modules in a sandbox.",
              run_conformance,
              {}});
}

}  // namespace profo::host
