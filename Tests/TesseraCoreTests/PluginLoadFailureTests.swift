import Foundation
import Testing
@testable import TesseraCore
import TesseraTestSupport

/// Every way a plugin can be refused, provoked with a real library built by cc, and the
/// message checked for what a plugin author needs to read.
@Suite("Plugin load failures")
struct PluginLoadFailureTests {
    struct Case: Sendable, CustomStringConvertible {
        let defines: [String]
        let code: PluginError.Code
        let mentions: [String]
        var description: String { code.name }
    }

    static let cases: [Case] = [
        Case(defines: ["-DNO_ENTRY"], code: .noEntrySymbol, mentions: ["does not export tsr_plugin_entry", "TSR_EXPORT"]),
        Case(defines: ["-DNULL_DESCRIPTOR"], code: .badDescriptor, mentions: ["returned NULL"]),
        Case(defines: ["-DABI_MAJOR=2"], code: .abiMajorMismatch, mentions: ["built for plugin ABI 2.0", "speaks ABI 1.0", "rebuild"]),
        Case(defines: ["-DMIN_MINOR=3"], code: .abiMinorTooNew, mentions: ["needs plugin ABI 1.3 or newer", "provides ABI 1.0"]),
        Case(defines: ["-DBAD_POINTER_SIZE"], code: .fingerprintMismatch, mentions: ["pointer size 4 (host: 8)"]),
        Case(defines: ["-DBAD_VIEW_SIZE"], code: .fingerprintMismatch, mentions: ["sizeof(tsr_tensor_view) 48 (host: 40)"]),
        Case(defines: ["-DDUP_CAPABILITY"], code: .duplicateCapability, mentions: ["lists capability 'tessera.monitor/1' twice"]),
        Case(defines: ["-DCREATE_FAILS"], code: .initFailed, mentions: ["failed to initialize (I/O error)", "cannot open /nonexistent/state.db"]),
        Case(defines: ["-DNO_VTABLE"], code: .capabilityMissing, mentions: ["get_capability returned NULL"]),
    ]

    @Test("a broken plugin is refused with a specific reason and the host carries on", arguments: cases)
    func refused(_ testCase: Case) throws {
        let path = try TestSupport.buildFixture("bad_plugin.c", defines: testCase.defines)
        let host = PluginHost(hostName: "test")
        let plugin = host.load(PluginSpec(source: .path(path)))
        #expect(plugin.state == .failed)
        let reason = plugin.info.reason ?? ""
        for text in testCase.mentions {
            #expect(reason.contains(text), "reason was: \(reason)")
        }
        // The code is visible to callers through the loader too.
        if ![PluginError.Code.initFailed, .capabilityMissing].contains(testCase.code) {
            #expect(throws: PluginError.self) { try PluginLibrary.open(path) }
            do { _ = try PluginLibrary.open(path) } catch { #expect(error.code == testCase.code) }
        }
        // A good plugin loaded after the broken one still works.
        let good = host.load(PluginSpec(source: .path(try TestSupport.buildFixture("bad_plugin.c", defines: ["-DPLUGIN_ID=\"test.good\""], name: "good"))))
        #expect(good.state == .active, "\(good.info.reason ?? "")")
        host.shutdown()
    }

    @Test("a missing file names the path")
    func missingFile() {
        let plugin = PluginHost(hostName: "test").load(PluginSpec(source: .path("/nonexistent/libnothing.so")))
        #expect(plugin.state == .failed)
        #expect(plugin.info.reason?.contains("plugin file not found: /nonexistent/libnothing.so") == true)
    }

    @Test("a file that is not a shared object is refused with the loader's reason")
    func notSharedObject() throws {
        let path = try TestSupport.temporaryDirectory().appendingPathComponent("libfake.so").path
        try "this is not an ELF file".write(toFile: path, atomically: true, encoding: .utf8)
        let plugin = PluginHost(hostName: "test").load(PluginSpec(source: .path(path)))
        #expect(plugin.info.reason?.contains("cannot load \(path) as a shared library") == true, "\(plugin.info.reason ?? "")")
    }

    @Test("rejected settings are reported as such, with the plugin's message")
    func settingsRejected() throws {
        let path = try TestSupport.buildFixture("bad_plugin.c", defines: ["-DREJECT_SETTINGS"])
        let host = PluginHost(hostName: "test")
        let plugin = host.load(PluginSpec(source: .path(path), settings: PluginSettings([("bad", .integer(1))])))
        #expect(plugin.state == .failed)
        #expect(plugin.info.reason == "plugin 'bad-plugin' rejected its settings: setting 'bad' is not accepted; remove it")
    }

    @Test("a sha256 pin that does not match refuses the file; a matching one loads it")
    func sha256Pin() throws {
        let path = try TestSupport.buildFixture("bad_plugin.c")
        let wrong = String(repeating: "0", count: 64)
        let refused = PluginHost(hostName: "test").load(PluginSpec(source: .path(path), sha256: wrong))
        #expect(refused.state == .failed)
        #expect(refused.info.reason?.contains("but the configuration pins \(wrong)") == true)

        let digest = try TestSupport.run("/usr/bin/env", ["sha256sum", path]).stdout.prefix(64)
        let host = PluginHost(hostName: "test")
        let accepted = host.load(PluginSpec(source: .path(path), sha256: String(digest)))
        #expect(accepted.state == .active, "\(accepted.info.reason ?? "")")
        host.shutdown()
    }

    @Test("the same plugin listed twice, or two plugins with one monitor name, are refused")
    func duplicates() throws {
        let first = try TestSupport.buildFixture("bad_plugin.c")
        let host = PluginHost(hostName: "test")
        #expect(host.load(PluginSpec(source: .path(first))).state == .active)
        let again = host.load(PluginSpec(source: .path(first)))
        #expect(again.info.reason?.contains("is already loaded") == true)

        let twin = try TestSupport.buildFixture("bad_plugin.c", defines: ["-DPLUGIN_ID=\"test.twin\""], name: "twin")
        let clash = host.load(PluginSpec(source: .path(twin)))
        #expect(clash.state == .failed)
        #expect(clash.info.reason?.contains("provides monitor 'bad-monitor', which plugin 'bad-plugin' already provides") == true,
                "\(clash.info.reason ?? "")")
        host.shutdown()
        // The clashing plugin had been activated before the clash was found: it is still
        // deactivated and destroyed, exactly once.
        typealias Counter = @convention(c) (Int32) -> Int32
        let library = try #require(clash.library)
        let symbol = try #require(dlsym(library.handle, "bad_plugin_lifecycle"))
        let counter = unsafeBitCast(symbol, to: Counter.self)
        #expect([counter(0), counter(1), counter(2)] == [1, 1, 1])
    }

    @Test("a disabled plugin is listed but never opened")
    func disabled() {
        let plugin = PluginHost(hostName: "test").load(PluginSpec(source: .path("/nonexistent.so"), enabled: false))
        #expect(plugin.state == .disabled)
    }

    @Test("shutdown stops plugins; a stopped plugin gets no more calls")
    func lifecycle() throws {
        let host = PluginHost(hostName: "test")
        let plugin = host.load(PluginSpec(source: .path(try TestSupport.buildFixture("bad_plugin.c"))))
        #expect(plugin.state == .active)
        let monitor = try #require(host.monitors.first)
        #expect(try monitor.evaluate(model: nil, version: nil).state == .ok)
        host.shutdown()
        #expect(plugin.state == .stopped)
        #expect(throws: PluginError.self) { try monitor.evaluate(model: nil, version: nil) }
    }
}
