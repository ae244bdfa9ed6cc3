/*
 * safetensors_fuzz.c — libFuzzer target for the safetensors format plugin
 * (Plugins/safetensors): every input is written to a file, probed and loaded; a file that
 * loads is saved and loaded back, and must come back with the same tensors (names, dtypes,
 * shapes and bytes). See mock_host.h for what is checked and run.sh for how it is built.
 */
#include "mock_host.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_init(tsr_plugin_entry(), ".safetensors", FUZZ_ROUNDTRIP_EXACT, NULL, 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one(data, size);
    return 0;
}
