/*
 * onnx_fuzz.c — libFuzzer target for the onnx format plugin (Plugins/onnx): every input is
 * written to a file, probed and loaded; a model that loads is saved and loaded back, and must
 * come back with as many initializers and nodes (the plugin documents that a round trip keeps
 * a model's meaning, not its bytes). Next to the input sits "external.data" (4 KiB of a
 * pattern), so models whose tensors point there exercise the external-data path, as the seed
 * Plugins/onnx/fixtures/external.onnx does. See mock_host.h for what is checked and run.sh for
 * how it is built.
 */
#include "mock_host.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_init(tsr_plugin_entry(), ".onnx", FUZZ_ROUNDTRIP_RELOADS, NULL, 0);
    static uint8_t pattern[4096];
    for (size_t i = 0; i < sizeof pattern; i++) pattern[i] = (uint8_t)(i * 7 + 3);
    fuzz_write_side_file("external.data", pattern, sizeof pattern);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one(data, size);
    return 0;
}
