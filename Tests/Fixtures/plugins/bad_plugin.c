/*
 * A deliberately misbehaving plugin for the host's load-failure tests. Each -D flag breaks one
 * rule; built with plain cc by the tests.
 *   -DNO_ENTRY            exports no tsr_plugin_entry
 *   -DNULL_DESCRIPTOR     tsr_plugin_entry returns NULL
 *   -DABI_MAJOR=N         claims ABI major N
 *   -DMIN_MINOR=N         needs host minor N or newer
 *   -DBAD_POINTER_SIZE    fingerprint claims 4-byte pointers
 *   -DBAD_VIEW_SIZE       fingerprint claims a different sizeof(tsr_tensor_view)
 *   -DDUP_CAPABILITY      lists its capability twice
 *   -DCREATE_FAILS        create returns TSR_ERR_IO
 *   -DREJECT_SETTINGS     create rejects any setting named "bad"
 *   -DNO_VTABLE           get_capability returns NULL
 *   -DPLUGIN_ID=".."      descriptor id (default "test.bad-plugin")
 *   -DMONITOR_NAME=".."   monitor name (default "bad-monitor")
 */
#include <tessera/tessera.h>
#include <stdlib.h>
#include <string.h>

#ifndef ABI_MAJOR
#define ABI_MAJOR TSR_ABI_MAJOR
#endif
#ifndef MIN_MINOR
#define MIN_MINOR 0
#endif
#ifndef PLUGIN_ID
#define PLUGIN_ID "test.bad-plugin"
#endif
#ifndef MONITOR_NAME
#define MONITOR_NAME "bad-monitor"
#endif

typedef struct { const tsr_host_api *api; tsr_host *host; } instance_t;

static tsr_status *observe(void *self, const tsr_request_record *records, size_t count) {
    (void)self; (void)records; (void)count;
    return NULL;
}

static tsr_status *evaluate(void *self, const char *model, const char *version, tsr_monitor_verdict *out) {
    (void)self; (void)model; (void)version;
    if (TSR_HAS_FIELD(out, tsr_monitor_verdict, state)) out->state = TSR_VERDICT_OK;
    return NULL;
}

static const tsr_monitor_vtable monitor = {
    sizeof(tsr_monitor_vtable), 0, MONITOR_NAME, observe, evaluate, NULL,
};

static tsr_status *create(const tsr_host_api *api, tsr_host *host, void **out) {
#ifdef CREATE_FAILS
    (void)host; (void)out;
    return api->status_create(TSR_ERR_IO, "cannot open /nonexistent/state.db: No such file or directory");
#else
#ifdef REJECT_SETTINGS
    if (api->setting_kind(host, "bad") != TSR_SETTING_ABSENT)
        return api->status_create(TSR_ERR_INVALID_SETTING, "setting 'bad' is not accepted; remove it");
#endif
    instance_t *self = calloc(1, sizeof *self);
    if (!self) return api->status_create(TSR_ERR_OUT_OF_MEMORY, "out of memory");
    self->api = api;
    self->host = host;
    *out = self;
    return NULL;
#endif
}

static const void *get_capability(void *self, const char *id) {
    (void)self;
#ifdef NO_VTABLE
    (void)id;
    (void)&monitor;
    return NULL;
#else
    return strcmp(id, TSR_CAP_MONITOR) == 0 ? &monitor : NULL;
#endif
}

/* Lifecycle counters, read by the tests through dlsym. */
static int activations = 0, deactivations = 0, destructions = 0;
TSR_EXPORT int bad_plugin_lifecycle(int which) {
    return which == 0 ? activations : which == 1 ? deactivations : destructions;
}

static tsr_status *activate(void *self) {
    (void)self;
    activations++;
    return NULL;
}

static void deactivate(void *self) {
    (void)self;
    deactivations++;
}

static void destroy(void *self) {
    destructions++;
    free(self);
}

static const char *const capabilities[] = {
    TSR_CAP_MONITOR,
#ifdef DUP_CAPABILITY
    TSR_CAP_MONITOR,
#endif
    NULL,
};

static const tsr_plugin_descriptor descriptor = {
    sizeof(tsr_plugin_descriptor), ABI_MAJOR, TSR_ABI_MINOR, MIN_MINOR, 0,
#if defined(BAD_POINTER_SIZE)
    {sizeof(tsr_abi_fingerprint), TSR_ABI_ENDIAN_MARK, 4, sizeof(size_t), sizeof(tsr_tensor_view),
     sizeof(tsr_host_api), sizeof(tsr_plugin_descriptor), 8},
#elif defined(BAD_VIEW_SIZE)
    {sizeof(tsr_abi_fingerprint), TSR_ABI_ENDIAN_MARK, sizeof(void *), sizeof(size_t), sizeof(tsr_tensor_view) + 8,
     sizeof(tsr_host_api), sizeof(tsr_plugin_descriptor), 8},
#else
    TSR_ABI_FINGERPRINT_INIT,
#endif
    PLUGIN_ID, "bad-plugin", "0.0.1", "Tessera tests", "A plugin that breaks one rule at a time.",
    capabilities, create, get_capability, activate, deactivate, destroy,
};

#ifndef NO_ENTRY
TSR_EXPORT const tsr_plugin_descriptor *tsr_plugin_entry(void) {
#ifdef NULL_DESCRIPTOR
    (void)&descriptor;
    return NULL;
#else
    return &descriptor;
#endif
}
#else
TSR_EXPORT int some_other_symbol(void) { return (int)sizeof(descriptor); }
#endif
