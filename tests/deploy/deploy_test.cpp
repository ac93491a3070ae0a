#include "build_tree.hpp"
#include "process.hpp"
#include "test_config.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

namespace profo::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = PROFO_SOURCE_DIR;

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A program on PATH, as a shell would find it.
std::optional<fs::path> on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');)
        if (!dir.empty() && fs::exists(fs::path(dir) / name)) return fs::path(dir) / name;
    return std::nullopt;
}

std::vector<YAML::Node> rendered() {
    const auto kubectl = on_path("kubectl");
    if (!kubectl) throw std::runtime_error("kubectl not found (scripts/install-deps.sh --tests installs it)");
    const auto r = run_process({kubectl->string(), "kustomize", (kSource / "deploy/k8s").string()});
    if (r.exit_code != 0) throw std::runtime_error("kubectl kustomize failed: " + r.err);
    return YAML::LoadAll(r.out);
}

YAML::Node one_of_kind(const std::vector<YAML::Node>& objects, const std::string& kind) {
    std::optional<YAML::Node> found;
    for (const auto& o : objects)
        if (o["kind"].as<std::string>() == kind) {
            EXPECT_FALSE(found) << "two " << kind << "s";
            found.emplace(o);
        }
    if (!found) throw std::runtime_error("no " + kind + " rendered");
    return *found;
}

TEST(KubernetesManifests, RenderADeploymentWithProbesSecretsFromASecretAndRequests) {
    const auto objects = rendered();
    for (const char* kind : {"Namespace", "ConfigMap", "Service", "Deployment", "PodDisruptionBudget"})
        one_of_kind(objects, kind);
    const auto deployment = one_of_kind(objects, "Deployment");
    const auto pod = deployment["spec"]["template"]["spec"];
    ASSERT_TRUE(pod["containers"] && pod["containers"].size() == 1u);
    const auto container = pod["containers"][0];
    EXPECT_EQ(container["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");
    EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/readyz");
    EXPECT_TRUE(container["resources"]["requests"]["cpu"]);
    EXPECT_TRUE(container["resources"]["requests"]["memory"]);
    EXPECT_GE(pod["terminationGracePeriodSeconds"].as<int>(), 30) << "in-flight events need time to finish";
    EXPECT_TRUE(pod["securityContext"]["runAsNonRoot"].as<bool>());
    // Several processes share the database (bot leases, chat locks), so
    // replicas run side by side and a rollout overlaps them without a gap.
    EXPECT_GE(deployment["spec"]["replicas"].as<int>(), 2);
    EXPECT_EQ(deployment["spec"]["strategy"]["type"].as<std::string>(), "RollingUpdate");
    EXPECT_EQ(deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"].as<int>(), 0);

    // The environment comes from the generated ConfigMap, by its hashed name...
    const auto config_map = one_of_kind(objects, "ConfigMap");
    ASSERT_TRUE(container["envFrom"]);
    EXPECT_EQ(container["envFrom"][0]["configMapRef"]["name"].as<std::string>(),
              config_map["metadata"]["name"].as<std::string>());
    // ... and every secret from the Secret, never from the ConfigMap.
    const std::regex secret_like("DSN|KEY|TOKEN|PASSWORD|SECRET", std::regex::icase);
    for (const auto& kv : config_map["data"]) {
        const auto name = kv.first.as<std::string>();
        EXPECT_FALSE(std::regex_search(name, secret_like)) << name << " is a secret in a ConfigMap";
        EXPECT_EQ(name.rfind("PROFO_", 0), 0u) << name;
    }
    std::set<std::string> from_secret;
    for (const auto& env : container["env"]) {
        ASSERT_TRUE(env["valueFrom"]["secretKeyRef"])
            << env["name"].as<std::string>() << " is not from a Secret";
        from_secret.insert(env["name"].as<std::string>());
    }
    EXPECT_TRUE(from_secret.count("PROFO_STORAGE_DSN"));
    EXPECT_TRUE(from_secret.count("PROFO_SECRETS_KEY"));
    EXPECT_TRUE(from_secret.count("PROFO_HTTP_METRICS_TOKEN"));
    // The Service reaches the container's port by name.
    const auto service = one_of_kind(objects, "Service");
    EXPECT_EQ(service["spec"]["ports"][0]["targetPort"].as<std::string>(),
              container["ports"][0]["name"].as<std::string>());
}

// The ConfigMap's values are ones profo reads: it starts its plugins with
// them over the installed config (a malformed value stops it with its name).
TEST(KubernetesManifests, ProfoReadsTheConfigMapsValues) {
    const auto config_map = one_of_kind(rendered(), "ConfigMap");
    ExtraEnvironment env;
    for (const auto& kv : config_map["data"]) env[kv.first.as<std::string>()] = kv.second.as<std::string>();
    ASSERT_FALSE(env.empty());
    const auto r = run_process(profo_command(kSource / "config/profo.yaml", {"plugins"}), "", env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("storage     postgres"), std::string::npos) << r.out;
}

// Every library the binary and the plugins link comes, in the image, from a
// package the Dockerfile installs (libc and the compiler's runtime aside).
TEST(ContainerImage, InstallsAPackageForEveryLibraryTheBuildLinks) {
    const std::string dockerfile = read_file(kSource / "Dockerfile");
    const auto runtime = dockerfile.substr(dockerfile.rfind("FROM "));
    std::vector<fs::path> modules{profo::build_tree::executable("profo")};
    for (const auto& entry : fs::directory_iterator(profo::build_tree::plugin_dir()))
        if (entry.path().extension() == ".so") modules.push_back(entry.path());
    const std::set<std::string> base{"libc6", "libstdc++6", "libgcc-s1"};
    std::set<std::string> checked;
    for (const auto& module : modules) {
        const auto needed = run_process({"/usr/bin/readelf", "-d", module.string()});
        ASSERT_EQ(needed.exit_code, 0) << needed.err;
        const std::regex soname(R"(\(NEEDED\)\s+Shared library: \[([^\]]+)\])");
        for (std::sregex_iterator it(needed.out.begin(), needed.out.end(), soname), end; it != end; ++it) {
            const std::string library = (*it)[1];
            if (!checked.insert(library).second) continue;
            // Every package holding a file of that name ("libm.so.6" is in
            // libc6 and, on some machines, libc6-i386): one must be there.
            const auto owners = run_process({"/usr/bin/dpkg", "-S", "*/" + library});
            ASSERT_EQ(owners.exit_code, 0) << library << ": " << owners.err;
            std::istringstream lines(owners.out);
            bool installed = false;
            std::string packages;
            for (std::string line; std::getline(lines, line);) {
                const std::string package = line.substr(0, line.find(':'));
                packages += " " + package;
                installed =
                    installed || base.count(package) || runtime.find(" " + package) != std::string::npos;
            }
            EXPECT_TRUE(installed) << module.filename() << " links " << library << " (from" << packages
                                   << "), which the Dockerfile's runtime stage does not install";
        }
    }
    EXPECT_GT(checked.size(), 5u);
    EXPECT_NE(runtime.find("USER profo"), std::string::npos) << "the image runs as root";
}

TEST(SystemdUnit, ServesAsItsOwnUserWithItsStateDirectory) {
    const auto unit = read_file(kSource / "deploy/systemd/profo.service");
    for (const char* line : {"ExecStart=/opt/profo/bin/profo serve", "User=profo", "StateDirectory=profo",
                             "WorkingDirectory=/var/lib/profo", "UMask=0077", "KillSignal=SIGTERM"})
        EXPECT_NE(unit.find(std::string("\n") + line + "\n"), std::string::npos) << line;
    // Secrets come from the EnvironmentFile, never from the unit itself.
    EXPECT_EQ(unit.find("\nEnvironment="), std::string::npos);
    EXPECT_NE(unit.find("\nEnvironmentFile=-/etc/profo/profo.env\n"), std::string::npos);
}

}  // namespace
}  // namespace profo::testing
