/*
 * gguf_fuzz.c — libFuzzer target for the gguf format plugin (Plugins/gguf): every input is
 * written to a file and probed and loaded by two instances, one with default settings and one
 * with skip_unsupported = true. The format is read-only, so there is no round trip. See
 * mock_host.h for what is checked and run.sh for how it is built.
 */
#include "mock_host.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static const fuzz_instance_spec specs[] = {{{NULL}}, {{"skip_unsupported=true", NULL}}};
    fuzz_init(tsr_plugin_entry(), ".gguf", FUZZ_ROUNDTRIP_NONE, specs, 2);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one(data, size);
    return 0;
}
