import Foundation
import Testing
import TesseraTestSupport

@Suite("SDK headers")
struct HeaderTests {
    static let program = """
        #include <tessera/tessera.h>
        int main(void) {
            static const tsr_abi_fingerprint fingerprint = TSR_ABI_FINGERPRINT_INIT;
            return fingerprint.struct_size == sizeof(tsr_abi_fingerprint) ? 0 : 1;
        }
        """

    @Test("tessera.h compiles warning-free as C11 and C++17 and the fingerprint macro works", arguments: [
        ("cc", ["-std=c11", "-x", "c"]),
        ("c++", ["-std=c++17", "-x", "c++"]),
    ])
    func compiles(compiler: String, flags: [String]) throws {
        let folder = try TestSupport.temporaryDirectory("tessera-header")
        let source = folder.appendingPathComponent("main.txt")
        try Self.program.write(to: source, atomically: true, encoding: .utf8)
        let binary = folder.appendingPathComponent("main").path
        let result = try TestSupport.run("/usr/bin/env", [compiler] + flags + [
            "-Wall", "-Wextra", "-pedantic", "-Werror", "-I", TestSupport.sdkInclude, source.path, "-o", binary,
        ])
        #expect(result.status == 0, "\(compiler) failed:\n\(result.stderr)")
        #expect(try TestSupport.run(binary, []).status == 0)
    }
}
