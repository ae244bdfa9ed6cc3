import CTesseraKernels

/// What the engine knows about the processor it runs on.
public enum CPU {
    /// Names of the SIMD features the kernels can use on this CPU, e.g. `["avx2", "fma"]`.
    public static var features: [String] {
        let bits = tsk_cpu_features()
        let names: [(UInt32, String)] = [
            (TSK_CPU_SSE42, "sse4.2"), (TSK_CPU_AVX, "avx"),
            (TSK_CPU_AVX2, "avx2"), (TSK_CPU_FMA, "fma"),
            (TSK_CPU_AVX512F, "avx512f"), (TSK_CPU_AVX512BW, "avx512bw"), (TSK_CPU_AVX512VNNI, "avx512vnni"),
            (TSK_CPU_AMX_INT8, "amx-int8"),
            (TSK_CPU_NEON, "neon"),
        ]
        return names.filter { bits & $0.0 != 0 }.map(\.1)
    }

    /// The kernel variant chosen for this CPU ("avx2+fma" or "generic").
    public static var kernelVariant: String { String(cString: tsk_variant_name(TSK_VARIANT_AUTO)) }
}
