/*
 * libffi for Swift. Swift 6 strict concurrency refuses libffi's `ffi_type_*` globals because
 * they are mutable C globals, although libffi never writes the scalar ones after load. These
 * accessors hand out their addresses instead, so Swift code never names a global.
 */
#ifndef TESSERA_CLIBFFI_SHIM_H
#define TESSERA_CLIBFFI_SHIM_H

#include <ffi.h>

static inline ffi_type *tsr_ffi_type_void(void) { return &ffi_type_void; }
static inline ffi_type *tsr_ffi_type_uint8(void) { return &ffi_type_uint8; }
static inline ffi_type *tsr_ffi_type_sint8(void) { return &ffi_type_sint8; }
static inline ffi_type *tsr_ffi_type_uint16(void) { return &ffi_type_uint16; }
static inline ffi_type *tsr_ffi_type_sint16(void) { return &ffi_type_sint16; }
static inline ffi_type *tsr_ffi_type_uint32(void) { return &ffi_type_uint32; }
static inline ffi_type *tsr_ffi_type_sint32(void) { return &ffi_type_sint32; }
static inline ffi_type *tsr_ffi_type_uint64(void) { return &ffi_type_uint64; }
static inline ffi_type *tsr_ffi_type_sint64(void) { return &ffi_type_sint64; }
static inline ffi_type *tsr_ffi_type_float(void) { return &ffi_type_float; }
static inline ffi_type *tsr_ffi_type_double(void) { return &ffi_type_double; }
static inline ffi_type *tsr_ffi_type_pointer(void) { return &ffi_type_pointer; }

/* FFI_DEFAULT_ABI is an enumerator whose value differs per platform (UNIX64, WIN64, SYSV, ...). */
static inline ffi_abi tsr_ffi_default_abi(void) { return FFI_DEFAULT_ABI; }

#endif /* TESSERA_CLIBFFI_SHIM_H */
