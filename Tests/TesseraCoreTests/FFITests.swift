import Foundation
import Testing
import CLibFFI
@testable import TesseraCore
import TesseraTestSupport

/// Signature strings as plugins and tessera.toml write them: accepted in any spacing,
/// refused with a message that says exactly what is wrong.
@Suite("FFI signatures")
struct FFISignatureTests {
    struct Parsed: Sendable, CustomStringConvertible {
        let text: String
        let returns: FFIType
        let arguments: [FFIType]
        let canonical: String
        var description: String { text.debugDescription }
    }

    static let wellFormed: [Parsed] = [
        Parsed(text: "void(ptr,ptr,i64)", returns: .void, arguments: [.ptr, .ptr, .i64], canonical: "void(ptr,ptr,i64)"),
        Parsed(text: "  i32 ( ptr ,\ti64 )\n", returns: .i32, arguments: [.ptr, .i64], canonical: "i32(ptr,i64)"),
        Parsed(text: "f64()", returns: .f64, arguments: [], canonical: "f64()"),
        Parsed(text: "u8( )", returns: .u8, arguments: [], canonical: "u8()"),
        Parsed(text: "u64(void)", returns: .u64, arguments: [], canonical: "u64()"),
        Parsed(text: "ptr( void )", returns: .ptr, arguments: [], canonical: "ptr()"),
        Parsed(text: "void(i8,u8,i16,u16,i32,u32,i64,u64,f32,f64,ptr)", returns: .void,
               arguments: [.i8, .u8, .i16, .u16, .i32, .u32, .i64, .u64, .f32, .f64, .ptr],
               canonical: "void(i8,u8,i16,u16,i32,u32,i64,u64,f32,f64,ptr)"),
        Parsed(text: "void(" + Array(repeating: "i32", count: 16).joined(separator: ",") + ")", returns: .void,
               arguments: Array(repeating: .i32, count: 16),
               canonical: "void(" + Array(repeating: "i32", count: 16).joined(separator: ",") + ")"),
    ]

    @Test("a signature is parsed into return and argument types, whatever the whitespace", arguments: wellFormed)
    func parses(_ parsed: Parsed) throws {
        let signature = try FFISignature(parsing: parsed.text)
        #expect(signature.returnType == parsed.returns)
        #expect(signature.argumentTypes == parsed.arguments)
        #expect(signature.description == parsed.canonical)
    }

    struct Refused: Sendable, CustomStringConvertible {
        let text: String
        let message: String
        var description: String { text.debugDescription }
    }

    static let validTypes = "valid types: void, i8, u8, i16, u16, i32, u32, i64, u64, f32, f64, ptr"
    static let expectedForm = "expected 'ret(arg,arg,...)', e.g. 'void(ptr,ptr,i64)'"
    static let seventeen = "void(" + Array(repeating: "ptr", count: 17).joined(separator: ",") + ")"

    static let malformed: [Refused] = [
        Refused(text: "", message: "empty signature; \(expectedForm)"),
        Refused(text: "  \t", message: "empty signature; \(expectedForm)"),
        Refused(text: "i32", message: "missing '(' in 'i32'; \(expectedForm)"),
        Refused(text: "void(ptr,i64", message: "missing ')' in 'void(ptr,i64'; \(expectedForm)"),
        Refused(text: "(ptr)", message: "missing return type before '(' in '(ptr)'; \(validTypes)"),
        Refused(text: "int(ptr)", message: "unknown return type 'int' in 'int(ptr)'; \(validTypes)"),
        Refused(text: "I32(ptr)", message: "unknown return type 'I32' in 'I32(ptr)'; \(validTypes)"),
        Refused(text: "i32(ptr,int)", message: "unknown type 'int' at argument 2 in 'i32(ptr,int)'; \(validTypes)"),
        Refused(text: "void(i 32)", message: "unknown type 'i 32' at argument 1 in 'void(i 32)'; \(validTypes)"),
        Refused(text: "void(ptr,void)",
                message: "'void' at argument 2 in 'void(ptr,void)'; void is only allowed as the return type or as the whole argument list '(void)'"),
        Refused(text: "void(void,i32)",
                message: "'void' at argument 1 in 'void(void,i32)'; void is only allowed as the return type or as the whole argument list '(void)'"),
        Refused(text: "void(ptr,)", message: "trailing comma after argument 1 in 'void(ptr,)'"),
        Refused(text: "void(,ptr)", message: "missing type at argument 1 in 'void(,ptr)'"),
        Refused(text: "void(ptr,,i64)", message: "missing type at argument 2 in 'void(ptr,,i64)'"),
        Refused(text: seventeen, message: "too many arguments in '\(seventeen)': 17 given, at most 16 are supported"),
        Refused(text: "void(ptr) extra",
                message: "unexpected 'extra' after ')' in 'void(ptr) extra'; nothing may follow the argument list"),
        Refused(text: "void(ptr))", message: "unexpected ')' after ')' in 'void(ptr))'; nothing may follow the argument list"),
    ]

    @Test("a malformed signature is refused with a message saying exactly what is wrong", arguments: malformed)
    func refuses(_ refused: Refused) {
        #expect(throws: FFIError(.badSignature, refused.message)) {
            try FFISignature(parsing: refused.text)
        }
    }
}

/// Real C functions, compiled by cc while the tests run, called through `ForeignFunction`.
@Suite("Foreign function calls")
final class ForeignFunctionTests {
    /// One function per behaviour worth checking at the C boundary. Expected values in the
    /// tests are worked out by hand from these bodies.
    static let source = """
        #include <stddef.h>
        #include <stdint.h>
        #define EXPORT __attribute__((visibility("default")))

        EXPORT int32_t add_i32(int32_t a, int32_t b) { return a + b; }

        /* Scales n doubles in place and returns the sum of the scaled values. */
        EXPORT double scale(double *values, int64_t n, double k) {
            double sum = 0;
            for (int64_t i = 0; i < n; i++) { values[i] *= k; sum += values[i]; }
            return sum;
        }

        EXPORT void fill_u8(uint8_t *bytes, int64_t n, uint8_t value) {
            for (int64_t i = 0; i < n; i++) bytes[i] = value;
        }

        EXPORT int8_t neg_i8(int8_t x) { return (int8_t)-x; }
        EXPORT uint8_t low_u8(uint32_t x) { return (uint8_t)x; }
        EXPORT int16_t half_i16(int16_t x) { return (int16_t)(x / 2); }
        EXPORT uint16_t swap16(uint16_t x) { return (uint16_t)((x << 8) | (x >> 8)); }
        EXPORT uint32_t not_u32(uint32_t x) { return ~x; }
        EXPORT float mixf(float a, double b, int64_t c) { return (float)(a * b + (double)c); }
        EXPORT uint64_t big(void) { return 0xFEDCBA9876543210ull; }
        EXPORT void *echo_ptr(void *p) { return p; }

        /* Every kind at once, each weighted by its position so a misplaced argument shows.
           On x86-64 and arm64 the later integers travel on the stack. */
        EXPORT double spill(int8_t a, uint8_t b, int16_t c, uint16_t d, int32_t e, uint32_t f, int64_t g,
                            uint64_t h, float i, double j, int8_t k, uint16_t l, float m, double n,
                            int32_t o, const void *p) {
            return 1.0 * a + 2.0 * b + 3.0 * c + 4.0 * d + 5.0 * e + 6.0 * f + 7.0 * (double)g
                + 8.0 * (double)h + 9.0 * i + 10.0 * j + 11.0 * k + 12.0 * l + 13.0 * m + 14.0 * n
                + 15.0 * o + (p != NULL ? 16.0 : 0.0);
        }
        """

    let handle: UnsafeMutableRawPointer

    init() throws {
        let folder = try TestSupport.temporaryDirectory("tessera-ffi")
        let file = folder.appendingPathComponent("ffi_functions.c")
        try Self.source.write(to: file, atomically: true, encoding: .utf8)
        let path = try TestSupport.buildPlugin([file.path], name: "ffi-functions")
        handle = try #require(dlopen(path, RTLD_NOW | RTLD_LOCAL), "dlopen \(path): \(String(cString: dlerror()))")
    }

    deinit { dlclose(handle) }

    func function(_ symbol: String, _ signature: String) throws -> ForeignFunction {
        try ForeignFunction(library: handle, symbol: symbol, signature: signature)
    }

    @Test("i32 arguments and result, including a negative sum")
    func addsInt32() throws {
        let add = try function("add_i32", "i32(i32,i32)")
        #expect(try add.call([.i32(40), .i32(2)]) == .i32(42))
        #expect(try add.call([.i32(2_000_000_000), .i32(-2_000_000_001)]) == .i32(-1))
    }

    @Test("a pointer argument lets C change Swift memory, and a double comes back")
    func scalesInPlace() throws {
        let scale = try function("scale", "f64(ptr, i64, f64)")
        var values: [Double] = [1, 2, 3, 4]
        let sum = try values.withUnsafeMutableBytes { buffer in
            try scale.call([.pointer(buffer.baseAddress), .i64(4), .f64(2.5)])
        }
        #expect(values == [2.5, 5, 7.5, 10])
        #expect(sum == .f64(25))
    }

    @Test("a void function returns .void and its u8 argument arrives intact")
    func fillsBytes() throws {
        let fill = try function("fill_u8", "void(ptr,i64,u8)")
        var bytes = [UInt8](repeating: 0, count: 8)
        let result = try bytes.withUnsafeMutableBytes { buffer in
            try fill.call([.pointer(buffer.baseAddress), .i64(5), .u8(0xAB)])
        }
        #expect(result == .void)
        #expect(bytes == [0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0, 0, 0])
    }

    @Test("integer results narrower than ffi_arg come back with their own width and sign")
    func narrowResults() throws {
        let neg = try function("neg_i8", "i8(i8)")
        #expect(try neg.call([.i8(5)]) == .i8(-5))
        #expect(try neg.call([.i8(-127)]) == .i8(127))
        let low = try function("low_u8", "u8(u32)")
        #expect(try low.call([.u32(0x1234_56F0)]) == .u8(0xF0))
        let half = try function("half_i16", "i16(i16)")
        #expect(try half.call([.i16(-30000)]) == .i16(-15000))
        let swap = try function("swap16", "u16(u16)")
        #expect(try swap.call([.u16(0x1234)]) == .u16(0x3412))
        #expect(try swap.call([.u16(0xFF00)]) == .u16(0x00FF))
        let not = try function("not_u32", "u32(u32)")
        #expect(try not.call([.u32(0x0F0F_0F0F)]) == .u32(0xF0F0_F0F0))
    }

    @Test("float, double and integer arguments mix, and a float comes back")
    func mixesFloats() throws {
        let mix = try function("mixf", "f32(f32,f64,i64)")
        // 0.75 * -3.5 + 10 = 7.375, exact in a float.
        #expect(try mix.call([.f32(0.75), .f64(-3.5), .i64(10)]) == .f32(7.375))
    }

    @Test("a u64 result above 2^63 keeps every bit")
    func bigUnsigned() throws {
        let big = try function("big", "u64()")
        #expect(try big.call([]) == .u64(0xFEDC_BA98_7654_3210))
    }

    @Test("a pointer passes through unchanged, NULL included")
    func echoesPointers() throws {
        let echo = try function("echo_ptr", "ptr(ptr)")
        let memory = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
        defer { memory.deallocate() }
        #expect(try echo.call([.pointer(memory)]) == .pointer(memory))
        #expect(try echo.call([.pointer(nil)]) == .pointer(nil))
    }

    @Test("sixteen arguments of every kind land in the right places, the later ones on the stack")
    func sixteenArguments() throws {
        let spill = try function("spill", "f64(i8,u8,i16,u16,i32,u32,i64,u64,f32,f64,i8,u16,f32,f64,i32,ptr)")
        var byte: UInt8 = 0
        let result = try withUnsafeMutablePointer(to: &byte) { pointer in
            try spill.call([
                .i8(-128), .u8(255), .i16(-32768), .u16(65535), .i32(-2_000_000_000), .u32(4_000_000_000),
                .i64(-(1 << 35)), .u64(1 << 40), .f32(0.5), .f64(0.25), .i8(7), .u16(1000), .f32(-1.5), .f64(1e6),
                .i32(-1), .pointer(UnsafeMutableRawPointer(pointer)),
            ])
        }
        // -128 + 510 - 98304 + 262140 - 10e9 + 24e9 - 7·2^35 + 8·2^40 + 4.5 + 2.5 + 77 + 12000
        // - 19.5 + 14e6 - 15 + 16
        #expect(result == .f64(8_569_589_029_915.5))
    }

    @Test("a wrong number of arguments is refused before the call, saying how many are needed")
    func wrongCount() throws {
        let add = try function("add_i32", "i32(i32,i32)")
        #expect(throws: FFIError(.argumentCount, "'add_i32' (i32(i32,i32)) takes 2 arguments, but 3 were given")) {
            try add.call([.i32(1), .i32(2), .i32(3)])
        }
        #expect(throws: FFIError(.argumentCount, "'add_i32' (i32(i32,i32)) takes 2 arguments, but 1 was given")) {
            try add.call([.i32(1)])
        }
        let big = try function("big", "u64(void)")
        #expect(throws: FFIError(.argumentCount, "'big' (u64()) takes 0 arguments, but 1 was given")) {
            try big.call([.u64(1)])
        }
    }

    @Test("an argument of the wrong kind is refused, naming its position, the expected and the given kind")
    func wrongKind() throws {
        let add = try function("add_i32", "i32(i32,i32)")
        #expect(throws: FFIError(.argumentType, "argument 2 of 'add_i32' (i32(i32,i32)) must be i32, but i64 2 was given")) {
            try add.call([.i32(1), .i64(2)])
        }
        let echo = try function("echo_ptr", "ptr(ptr)")
        #expect(throws: FFIError(.argumentType, "argument 1 of 'echo_ptr' (ptr(ptr)) must be ptr, but void was given")) {
            try echo.call([.void])
        }
    }

    @Test("a symbol the library does not export is named in the error")
    func missingSymbol() {
        #expect {
            try self.function("no_such_function", "void()")
        } throws: { error in
            let error = try #require(error as? FFIError)
            return error.code == .symbolNotFound
                && error.message.hasPrefix("symbol 'no_such_function' not found in the library (")
                && error.message.contains("undefined symbol: no_such_function")
        }
    }

    @Test("a bad signature given with a symbol names the symbol too")
    func badSignatureForSymbol() {
        #expect(throws: FFIError(.badSignature,
                                 "signature of 'add_i32': unknown type 'int' at argument 2 in 'i32(i32,int)'; \(FFISignatureTests.validTypes)")) {
            try self.function("add_i32", "i32(i32,int)")
        }
    }

    @Test("one ForeignFunction can be called from many tasks at once")
    func concurrentCalls() async throws {
        let add = try function("add_i32", "i32(i32,i32)")
        let correct = await withTaskGroup(of: Bool.self) { group in
            for value in 0..<500 {
                group.addTask { (try? add.call([.i32(Int32(value)), .i32(1000)])) == .i32(Int32(value) + 1000) }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(correct == 500)
    }
}

/// The shim's descriptors behind each type. Signedness cannot be seen through calls here:
/// gcc-built callees extend narrow arguments themselves and narrow results are truncated.
@Suite("FFI type mapping")
struct FFITypeMappingTests {
    static let expected: [(FFIType, Int32, Int)] = [
        (.void, FFI_TYPE_VOID, 1), (.i8, FFI_TYPE_SINT8, 1), (.u8, FFI_TYPE_UINT8, 1),
        (.i16, FFI_TYPE_SINT16, 2), (.u16, FFI_TYPE_UINT16, 2), (.i32, FFI_TYPE_SINT32, 4),
        (.u32, FFI_TYPE_UINT32, 4), (.i64, FFI_TYPE_SINT64, 8), (.u64, FFI_TYPE_UINT64, 8),
        (.f32, FFI_TYPE_FLOAT, 4), (.f64, FFI_TYPE_DOUBLE, 8), (.ptr, FFI_TYPE_POINTER, MemoryLayout<UnsafeRawPointer>.size),
    ]

    @Test("each type is backed by libffi's descriptor of the same kind, sign and size")
    func descriptors() {
        for (type, code, size) in Self.expected {
            let descriptor = type.libffiType.pointee
            #expect(Int32(descriptor.type) == code, "\(type)")
            #expect(descriptor.size == size, "\(type)")
        }
    }
}
