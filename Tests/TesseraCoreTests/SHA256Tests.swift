import Foundation
import Testing
@testable import TesseraCore
import TesseraTestSupport

@Suite("SHA-256")
struct SHA256Tests {
    // Digests from FIPS 180-4's examples (NIST's published test vectors).
    @Test("matches the FIPS 180-4 test vectors", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func vectors(message: String, digest: String) {
        #expect(SHA256.hex(of: Array(message.utf8)) == digest)
    }

    @Test("hashes a file in chunks the same as in one piece")
    func file() throws {
        let folder = try TestSupport.temporaryDirectory()
        let path = folder.appendingPathComponent("a").path
        // One million 'a's: the FIPS 180-4 long-message vector, and more than one read chunk.
        try Data(repeating: UInt8(ascii: "a"), count: 1_000_000).write(to: URL(fileURLWithPath: path))
        #expect(try SHA256.hex(ofFileAt: path) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
