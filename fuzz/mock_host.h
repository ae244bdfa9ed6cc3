/*
 * mock_host.h — a minimal in-process Tessera host for the libFuzzer targets in this folder.
 *
 * Each target links one format plugin's sources straight into the fuzzer binary (the plugin's
 * tsr_plugin_entry is called directly, no dlopen) together with mock_host.c, which implements
 * the host API over an in-memory graph and checks what the plugin does:
 *
 *  - probe never fails, writes a confidence in [0, 1];
 *  - load either succeeds or returns a status with a known code other than TSR_ERR_INTERNAL
 *    and a non-empty message;
 *  - every initializer the plugin hands over is a consistent view (known dtype, rank <= 16,
 *    non-negative dims, byte_size = elements x item size, data non-NULL when non-empty), and
 *    every byte of it is read at once, so a view past the end of the file is caught;
 *  - every tsr_release handed over is called exactly once (the mock releases every
 *    initializer when it discards a graph), and every status is released: leaks abort;
 *  - after a successful load, formats that can save write the graph and load it back.
 *
 * A violated check prints what happened and calls abort(), which libFuzzer reports as a crash.
 *
 * The targets compile the plugin with -include fuzz/fuzz_mmap.h, which turns its mmap/munmap
 * into a malloc'ed copy of the file, so AddressSanitizer sees the exact bounds of a "mapping"
 * (a read one byte past the end of the file is reported, not hidden by the page rounding of a
 * real mapping) and LeakSanitizer sees a mapping that is never released.
 */
#ifndef TESSERA_FUZZ_MOCK_HOST_H
#define TESSERA_FUZZ_MOCK_HOST_H

#include <tessera/tessera.h>

#include <stddef.h>
#include <stdint.h>

/** How much of a save + reload round trip must agree with the first load. */
enum fuzz_roundtrip {
    FUZZ_ROUNDTRIP_NONE = 0,   /**< no save (read-only formats) */
    FUZZ_ROUNDTRIP_RELOADS,    /**< the saved file loads, with as many initializers and nodes */
    FUZZ_ROUNDTRIP_EXACT,      /**< the saved file loads with the same initializers (names, dtypes, shapes, bytes) */
};

/** One plugin instance to drive: its settings as "key=value" strings (true/false, integers, text). */
typedef struct fuzz_instance_spec {
    const char *settings[4]; /**< NULL-terminated */
} fuzz_instance_spec;

/**
 * Creates and activates one instance of the plugin per spec (at most 4; with none, one without
 * settings), and a private temporary folder for the input file, named "input<extension>".
 * Call once, from LLVMFuzzerInitialize.
 */
void fuzz_init(const tsr_plugin_descriptor *descriptor, const char *extension, enum fuzz_roundtrip roundtrip,
               const fuzz_instance_spec *specs, size_t spec_count);

/** Writes `size` bytes to `name` inside the temporary folder (e.g. a side file the format refers to). */
void fuzz_write_side_file(const char *name, const uint8_t *data, size_t size);

/** Writes the input to the temporary file and runs probe, load (and the round trip) on every instance. */
void fuzz_one(const uint8_t *data, size_t size);

#endif /* TESSERA_FUZZ_MOCK_HOST_H */
