/* Example: an isolator in plain C that adds environment variables to every container.
 *
 * Configuration: every key "env.NAME" sets variable NAME, e.g. in --plugin_config
 *   {"example-env": {"env.TEAM": "payments", "env.TZ": "UTC"}}
 * Any other key is refused at start, naming it.
 *
 * It shows the C side of the ABI: the entry symbol, negotiation, create() reading and
 * validating configuration, get_interface() with exact ID matching, and a prepare() that
 * decodes its request and encodes its LaunchPlan piece with protobuf-c. */
#include <stdlib.h>
#include <string.h>

#include "berth/berth.h"
#include "berth/v1/isolator.pb-c.h"

typedef struct env_isolator {
  berth_plugin plugin; /* first, so that a berth_plugin* is also an env_isolator* */
  const berth_host* host;
  size_t count;
  Berth__V1__EnvironmentVariable* variables;
  Berth__V1__EnvironmentVariable** pointers;
} env_isolator;

static void env_prepare(berth_plugin* self, berth_op* op, berth_bytes request) {
  env_isolator* env = (env_isolator*)self;
  Berth__V1__PrepareRequest* decoded =
      berth__v1__prepare_request__unpack(NULL, request.size, request.data);
  if (decoded == NULL) {
    env->host->complete(env->host, op, BERTH_ERROR_INVALID_ARGUMENT, "not a PrepareRequest",
                        (berth_bytes){NULL, 0});
    return;
  }
  berth__v1__prepare_request__free_unpacked(decoded, NULL);

  Berth__V1__LaunchPlan plan = BERTH__V1__LAUNCH_PLAN__INIT;
  plan.n_environment = env->count;
  plan.environment = env->pointers;
  Berth__V1__PrepareResult result = BERTH__V1__PREPARE_RESULT__INIT;
  result.plan = &plan;

  const size_t size = berth__v1__prepare_result__get_packed_size(&result);
  uint8_t* bytes = malloc(size > 0 ? size : 1);
  if (bytes == NULL) {
    env->host->complete(env->host, op, BERTH_ERROR_INTERNAL, "out of memory",
                        (berth_bytes){NULL, 0});
    return;
  }
  berth__v1__prepare_result__pack(&result, bytes);
  /* The host copies the result during the call, so the buffer can go right after. */
  env->host->complete(env->host, op, BERTH_OK, NULL, (berth_bytes){bytes, size});
  free(bytes);
}

static const berth_isolator env_isolator_table = {
    .struct_size = sizeof(berth_isolator),
    .capabilities = BERTH_ISOLATOR_SUPPORTS_STANDALONE | BERTH_ISOLATOR_SUPPORTS_NESTING,
    .prepare = env_prepare,
    /* The other hooks are NULL: nothing to do. */
};

static const void* env_get_interface(const berth_plugin* self, const char* id) {
  (void)self;
  return id != NULL && strcmp(id, BERTH_ISOLATOR_ID) == 0 ? &env_isolator_table : NULL;
}

static void env_destroy(berth_plugin* self) {
  env_isolator* env = (env_isolator*)self;
  free(env->variables);
  free(env->pointers);
  free(env);
}

static berth_status env_create(const berth_host* host, berth_plugin** out) {
  size_t count = 0;
  for (uint32_t i = 0; host->config_key_at(host, i) != NULL; ++i) {
    const char* key = host->config_key_at(host, i);
    if (strncmp(key, "env.", 4) != 0 || key[4] == '\0') {
      host->report_error(host, "unknown setting (expected env.NAME)");
      return BERTH_ERROR_INVALID_ARGUMENT;
    }
    ++count;
  }
  env_isolator* env = calloc(1, sizeof(*env));
  if (env == NULL) return BERTH_ERROR_INTERNAL;
  env->variables = calloc(count ? count : 1, sizeof(*env->variables));
  env->pointers = calloc(count ? count : 1, sizeof(*env->pointers));
  if (env->variables == NULL || env->pointers == NULL) {
    env_destroy(&env->plugin);
    return BERTH_ERROR_INTERNAL;
  }
  for (size_t i = 0; i < count; ++i) {
    /* Keys and values live as long as the instance: no copies needed. */
    const char* key = host->config_key_at(host, (uint32_t)i);
    Berth__V1__EnvironmentVariable init = BERTH__V1__ENVIRONMENT_VARIABLE__INIT;
    env->variables[i] = init;
    env->variables[i].name = (char*)key + 4;
    env->variables[i].value = (char*)host->config_get(host, key);
    env->pointers[i] = &env->variables[i];
  }
  env->count = count;
  env->host = host;
  env->plugin.struct_size = sizeof(berth_plugin);
  env->plugin.plugin_data = env;
  env->plugin.get_interface = env_get_interface;
  env->plugin.destroy = env_destroy;
  *out = &env->plugin;
  return BERTH_OK;
}

static int in_range(uint32_t low, uint32_t high, uint32_t value) {
  return low <= value && value <= high;
}

static berth_status env_init(uint32_t min_minor, uint32_t max_minor, uint32_t* chosen) {
  if (!in_range(min_minor, max_minor, BERTH_ABI_MINOR)) return BERTH_ERROR_INCOMPATIBLE;
  *chosen = BERTH_ABI_MINOR;
  return BERTH_OK;
}

static void env_deinit(void) {}

static const berth_plugin_descriptor env_descriptor = {
    .struct_size = sizeof(berth_plugin_descriptor),
    .name = "example-env",
    .version = "1.0.0",
    .vendor = "Berth SDK examples",
    .description = "adds configured environment variables to every container",
    .kinds = BERTH_KIND_ISOLATOR,
};

BERTH_PLUGIN_EXPORT const berth_plugin_entry berth_plugin_entry_v1 = {
    .struct_size = sizeof(berth_plugin_entry),
    .abi_major = BERTH_ABI_MAJOR,
    .sdk_minor = BERTH_ABI_MINOR,
    .descriptor = &env_descriptor,
    .init = env_init,
    .deinit = env_deinit,
    .create = env_create,
};
