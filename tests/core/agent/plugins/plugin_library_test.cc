// Loading plugin libraries: every refusal names the file and the reason.

#include "core/agent/plugins/plugin_library.h"

#include <gtest/gtest.h>

#include "berth/berth.h"
#include "tests/support/temp_dir.h"

namespace berth::agent {
namespace {

std::string fixture(const std::string& name) {
  return std::string(BERTH_FIXTURES_DIR) + "/" + name;
}

std::string loadError(const std::string& path) {
  auto library = PluginLibrary::load(path);
  EXPECT_FALSE(library) << path << " loaded";
  return library ? "" : library.error().message();
}

TEST(PluginLibraryTest, ReadsTheDescriptorWithoutInitialising) {
  auto library = PluginLibrary::load(fixture("berth-probe.so"));
  ASSERT_TRUE(library) << library.error().message();
  const PluginInfo& info = (*library)->info();
  EXPECT_EQ(info.name, "probe");
  EXPECT_EQ(info.version, "1.1.0");
  ASSERT_EQ(info.flags.size(), 2u);
  EXPECT_EQ(info.flags[0].name, "probe_label");
  EXPECT_FALSE(info.flags[0].boolean);
  EXPECT_EQ(info.flags[1].name, "probe_strict");
  EXPECT_TRUE(info.flags[1].boolean);
  EXPECT_EQ(info.vendor, "Berth tests");
  EXPECT_EQ(info.aliases, (std::vector<std::string>{"test/probe", "test/group"}));
  EXPECT_EQ(info.kinds, BERTH_KIND_ISOLATOR);
  EXPECT_EQ(info.sdk_minor, static_cast<uint32_t>(BERTH_ABI_MINOR));
}

TEST(PluginLibraryTest, MissingFile) {
  EXPECT_EQ(loadError("/nonexistent/x.so"),
            "plugin '/nonexistent/x.so': no such file or not readable");
}

TEST(PluginLibraryTest, NotAnElfFile) {
  testing::TempDir dir;
  testing::writeFile(dir.file("text.so"), "this is text, not a shared object\n");
  EXPECT_EQ(loadError(dir.file("text.so")),
            "plugin '" + dir.file("text.so") + "': not an ELF shared object");
}

TEST(PluginLibraryTest, DlopenErrorIsQuoted) {
  testing::TempDir dir;
  // An ELF header followed by garbage: dlopen itself refuses it.
  testing::writeFile(dir.file("broken.so"), std::string("\x7f"
                                                        "ELF",
                                                        4) +
                                                std::string(60, 'x'));
  const std::string error = loadError(dir.file("broken.so"));
  EXPECT_NE(error.find("dlopen failed: "), std::string::npos) << error;
  EXPECT_NE(error.find("broken.so"), std::string::npos) << error;
}

TEST(PluginLibraryTest, NoEntrySymbol) {
  const std::string error = loadError(fixture("not-a-plugin.so"));
  EXPECT_NE(error.find("no entry symbol berth_plugin_entry_v1"), std::string::npos) << error;
}

TEST(PluginLibraryTest, OtherMajorNamesBothMajors) {
  const std::string error = loadError(fixture("berth-rogue-major2.so"));
  EXPECT_NE(error.find("exports berth_plugin_entry_v2, an entry for ABI major 2, but this agent "
                       "speaks ABI major 1"),
            std::string::npos)
      << error;
}

TEST(PluginLibraryTest, MalformedEntryAndDescriptor) {
  EXPECT_NE(loadError(fixture("berth-rogue-entry-size.so")).find("entry is 8 bytes"),
            std::string::npos);
  EXPECT_NE(loadError(fixture("berth-rogue-bad-name.so")).find("plugin name 'Bad Name!'"),
            std::string::npos);
  EXPECT_NE(loadError(fixture("berth-rogue-unknown-kind.so")).find("unknown or no kinds"),
            std::string::npos);
}

TEST(PluginLibraryTest, NegotiationRefusalNamesBothVersions) {
  auto library = PluginLibrary::load(fixture("berth-rogue-init-refuses.so"));
  ASSERT_TRUE(library);
  auto minor = (*library)->initialize();
  ASSERT_FALSE(minor);
  const std::string current = "1." + std::to_string(BERTH_ABI_MINOR);
  EXPECT_NE(minor.error().message().find("refused version negotiation: the agent speaks ABI 1.0 "
                                         "to " +
                                         current + ", the plugin was built with " + current),
            std::string::npos)
      << minor.error().message();
}

TEST(PluginLibraryTest, NewerMinorThatFeatureDetectsLoads) {
  auto library = PluginLibrary::load(fixture("berth-rogue-newer-minor.so"));
  ASSERT_TRUE(library);
  EXPECT_EQ((*library)->info().sdk_minor, 7u);
  auto minor = (*library)->initialize();
  ASSERT_TRUE(minor) << minor.error().message();
  EXPECT_EQ(*minor, static_cast<uint32_t>(BERTH_ABI_MINOR));
}

// A C++ plugin built with SDK 1.1 still loads in a 1.0 agent (which offers only [0, 0]),
// and refuses only ranges wholly newer than its SDK.
TEST(PluginLibraryTest, CppPluginsOfANewerSdkSpeakOlderHosts) {
  auto library = PluginLibrary::load(fixture("berth-probe.so"));
  ASSERT_TRUE(library);
  const berth_plugin_entry& entry = (*library)->entry();
  uint32_t chosen = 99;
  EXPECT_EQ(entry.init(0, 0, &chosen), BERTH_OK);
  EXPECT_EQ(chosen, 0u);
  entry.deinit();
  EXPECT_EQ(entry.init(0, 50, &chosen), BERTH_OK);
  EXPECT_EQ(chosen, static_cast<uint32_t>(BERTH_ABI_MINOR));
  entry.deinit();
  EXPECT_EQ(entry.init(BERTH_ABI_MINOR + 1, 50, &chosen), BERTH_ERROR_INCOMPATIBLE);
  EXPECT_EQ(entry.init(1, 0, &chosen), BERTH_ERROR_INCOMPATIBLE);
}

// The C++ helpers give an isolator's table SDK 1.2's BERTH_ISOLATOR_NO_HOLD only in a host
// that knows it: a 1.0 or 1.1 agent refuses a table with bits it does not know.
TEST(PluginLibraryTest, CppIsolatorsDeclareNoHoldOnlyToHostsThatKnowIt) {
  auto library = PluginLibrary::load(fixture("berth-probe.so"));
  ASSERT_TRUE(library);
  const berth_plugin_entry& entry = (*library)->entry();
  uint32_t chosen = 0;
  ASSERT_EQ(entry.init(0, BERTH_ABI_MINOR, &chosen), BERTH_OK);
  const auto capabilities = [&entry](uint32_t minor) -> uint64_t {
    berth_host host{};
    host.struct_size = sizeof(berth_host);
    host.abi_minor = minor;
    host.log = [](const berth_host*, berth_log_level, const char*) {};
    host.counter_add = [](const berth_host*, const char*, uint64_t) {};
    host.config_get = [](const berth_host*, const char* key) -> const char* {
      return std::string(key) == "no_hold" ? "true" : nullptr;
    };
    host.config_key_at = [](const berth_host*, uint32_t i) -> const char* {
      return i == 0 ? "no_hold" : nullptr;
    };
    host.report_error = [](const berth_host*, const char*) {};
    berth_plugin* plugin = nullptr;
    EXPECT_EQ(entry.create(&host, &plugin), BERTH_OK);
    if (plugin == nullptr) return 0;
    const auto* table =
        static_cast<const berth_isolator*>(plugin->get_interface(plugin, BERTH_ISOLATOR_ID));
    const uint64_t bits = table != nullptr ? table->capabilities : 0;
    plugin->destroy(plugin);
    return bits;
  };
  EXPECT_EQ(capabilities(1) & BERTH_ISOLATOR_NO_HOLD, 0u);
  EXPECT_EQ(capabilities(2) & BERTH_ISOLATOR_NO_HOLD, BERTH_ISOLATOR_NO_HOLD);
  EXPECT_EQ(capabilities(1) & BERTH_ISOLATOR_SUPPORTS_STANDALONE,
            BERTH_ISOLATOR_SUPPORTS_STANDALONE);
  entry.deinit();
}

TEST(PluginLibraryTest, MinorOutsideTheOfferIsRefused) {
  auto library = PluginLibrary::load(fixture("berth-rogue-greedy-minor.so"));
  ASSERT_TRUE(library);
  auto minor = (*library)->initialize();
  ASSERT_FALSE(minor);
  EXPECT_NE(minor.error().message().find("chose ABI minor 7 outside the offered range"),
            std::string::npos)
      << minor.error().message();
}

}  // namespace
}  // namespace berth::agent
