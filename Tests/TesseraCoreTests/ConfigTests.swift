import Foundation
import Testing
@testable import TesseraCore
import TesseraTestSupport

@Suite("Configuration")
struct ConfigTests {
    @Test("the embedded default parses and lists every bundled plugin")
    func embeddedDefault() throws {
        let config = try ConfigLoader.parse(ConfigLoader.embeddedDefault, file: "default")
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8080)
        #expect(Set(config.plugins.map(\.source.description)) == Set(BundledPlugins.knownNames))
        #expect(config.plugins.first { $0.source == .bundled("latency-slo") }?.settings["p99_ms"] == .integer(50))
    }

    @Test("a full configuration is read with plugin order, pins, enabled flags and settings")
    func full() throws {
        let text = """
            [server]
            listen = "0.0.0.0:9000"
            [store]
            path = "/var/lib/tessera"
            [[plugins]]
            path = "plugins/libx.so"
            sha256 = "\(String(repeating: "AB", count: 32))"
            [plugins.settings]
            namespace = "svc"
            ratio = 0.25
            tags = ["a", "b"]
            [[plugins]]
            name = "latency-slo"
            enabled = false
            """
        let config = try ConfigLoader.parse(text, file: "t.toml")
        #expect(config.host == "0.0.0.0" && config.port == 9000)
        #expect(config.storePath == "/var/lib/tessera")
        #expect(config.plugins.count == 2)
        #expect(config.plugins[0].source == .path("plugins/libx.so"))
        #expect(config.plugins[0].sha256 == String(repeating: "ab", count: 32))
        #expect(config.plugins[0].settings.keys == ["namespace", "ratio", "tags"])
        #expect(config.plugins[0].settings["ratio"] == .float(0.25))
        #expect(config.plugins[0].line == 5)
        #expect(config.plugins[1].enabled == false)
    }

    struct BadCase: Sendable, CustomStringConvertible {
        let text: String
        let expected: String
        var description: String { expected }
    }

    @Test("every problem is named with file, line and key", arguments: [
        BadCase(text: "[server]\nlisten = 8080\n", expected: "c.toml:2: server.listen: expected a string, got integer"),
        BadCase(text: "[server]\nlisten = \"localhost\"\n", expected: "c.toml:2: server.listen: 'localhost' is not HOST:PORT"),
        BadCase(text: "[server]\nport = 1\n", expected: "c.toml:2: server.port: unknown key; accepted here: listen, max_request_mb, max_header_kb, max_headers, idle_timeout_s"),
        BadCase(text: "[server]\nmax_headers = 0\n", expected: "c.toml:2: server.max_headers: expected a whole number from 1 to 10000, got 0"),
        BadCase(text: "[server]\nmax_request_mb = \"big\"\n", expected: "c.toml:2: server.max_request_mb: expected a number, got string"),
        BadCase(text: "[serve]\n", expected: "c.toml:1: serve: unknown key; accepted here: server, store, log, serving, plugins"),
        BadCase(text: "[[plugins]]\nname = \"a\"\npath = \"b\"\n", expected: "c.toml:1: plugins[1]: give either `name` or `path`, not both"),
        BadCase(text: "[[plugins]]\nenabled = true\n", expected: "c.toml:1: plugins[1]: a plugin needs `name`"),
        BadCase(text: "[[plugins]]\nname = \"a\"\nsha256 = \"abc\"\n", expected: "c.toml:3: plugins[1].sha256: expected 64 hexadecimal digits"),
        BadCase(text: "[[plugins]]\nname = \"a\"\nenabled = \"yes\"\n", expected: "c.toml:3: plugins[1].enabled: expected true or false, got string"),
        BadCase(text: "[[plugins]]\nname = \"a\"\nsetings = {}\n", expected: "c.toml:3: plugins[1].setings: unknown key"),
        BadCase(text: "[log]\nlevel = \"loud\"\n", expected: "c.toml:2: log.level: 'loud' is not a log level"),
        BadCase(text: "[server]\nlisten = \"a:1\"\nlisten = \"b:2\"\n", expected: "c.toml:3: TOML syntax: duplicate key 'listen'"),
    ])
    func problems(_ bad: BadCase) {
        do {
            _ = try ConfigLoader.parse(bad.text, file: "c.toml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix(bad.expected), "got: \(error.description)")
        }
    }

    @Test("all problems are reported at once, not just the first")
    func manyProblems() {
        do {
            _ = try ConfigLoader.parse("[server]\nlisten = 1\n[store]\npath = 2\n", file: "c.toml")
            Issue.record("expected an error")
        } catch {
            #expect(error.issues.map(\.line) == [2, 4])
        }
    }

    @Test("missing plugin files and unknown bundled names are found before anything starts")
    func pluginFiles() throws {
        let folder = try TestSupport.temporaryDirectory()
        let file = folder.appendingPathComponent("tessera.toml").path
        try "[[plugins]]\npath = \"libnothere.so\"\n[[plugins]]\nname = \"no-such-plugin\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        let config = try ConfigLoader.load(path: file)
        let issues = ConfigLoader.checkPluginFiles(config, bundledSearchPaths: [folder.path])
        #expect(issues.count == 2)
        #expect(issues[0].description == "\(file):1: plugins[1].path: no file at \(folder.appendingPathComponent("libnothere.so").path)")
        #expect(issues[1].line == 3)
        #expect(issues[1].message.contains("no bundled plugin named 'no-such-plugin'"))
    }

    @Test("command-line setting values are read as TOML scalars, else as text", arguments: [
        ("20", SettingValue.integer(20)), ("0.5", .float(0.5)), ("true", .bool(true)),
        ("\"quoted\"", .string("quoted")), ("/tmp/events.jsonl", .string("/tmp/events.jsonl")),
    ])
    func settingValues(text: String, value: SettingValue) {
        #expect(SettingValue(parsing: text) == value)
    }

    @Test("a reload loads added plugins and refuses removed or changed ones, listen, store and log level")
    func reloadPlan() throws {
        let old = try ConfigLoader.parse("""
            [server]
            listen = "127.0.0.1:8080"
            [[plugins]]
            name = "latency-slo"
            [plugins.settings]
            p99_ms = 25
            [[plugins]]
            name = "prometheus"
            """, file: "old.toml")
        let same = ConfigReload(running: old, new: old)
        #expect(same.pluginsToLoad.isEmpty && same.refused.isEmpty)

        let new = try ConfigLoader.parse("""
            [server]
            listen = "0.0.0.0:9090"
            [log]
            level = "debug"
            [[plugins]]
            name = "latency-slo"
            [plugins.settings]
            p99_ms = 40
            [[plugins]]
            name = "jsonl-events"
            """, file: "new.toml")
        let plan = ConfigReload(running: old, new: new)
        #expect(plan.pluginsToLoad.map(\.source.description) == ["jsonl-events"])
        #expect(plan.refused.contains { $0.contains("'latency-slo' changed") })
        #expect(plan.refused.contains { $0.contains("'prometheus' was removed") })
        #expect(plan.refused.contains { $0.contains("server.listen") })
        #expect(plan.refused.contains { $0.contains("log.level") })
    }

    @Test("[serving] sets batching and queueing, and bad values name the key and what is accepted")
    func servingSection() throws {
        let config = try ConfigLoader.parse("""
            [serving]
            max_batch_size = 32
            max_queue_delay_ms = 2.5
            queue_capacity = 100
            instances = 2
            queue_timeout_ms = 5000
            rollback_grace_s = 60
            """, file: "t.toml")
        #expect(config.serving.maxBatchSize == 32)
        #expect(config.serving.maxQueueDelayMilliseconds == 2.5)
        #expect(config.serving.queueCapacity == 100)
        #expect(config.serving.instances == 2)
        #expect(config.serving.queueTimeoutMilliseconds == 5000)
        #expect(config.serving.rollbackGraceSeconds == 60)
        #expect(try ConfigLoader.loadDefault().serving == ServingSettings(), "the embedded default spells out the defaults")
        do {
            _ = try ConfigLoader.parse("""
                [serving]
                max_batch_size = 0
                instances = 1.5
                queue_timeout_ms = 0
                batch = 4
                """, file: "bad.toml")
            Issue.record("bad [serving] values were accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("bad.toml:2") && text.contains("serving.max_batch_size"))
            #expect(text.contains("serving.instances"))
            #expect(text.contains("serving.queue_timeout_ms"))
            #expect(text.contains("batch"))
        }
    }

    @Test("[server] limits set the body, header and idle limits; the default spells them out; a reload refuses changes")
    func serverLimits() throws {
        let config = try ConfigLoader.parse("""
            [server]
            listen = "127.0.0.1:9000"
            max_request_mb = 0.5
            max_header_kb = 8
            max_headers = 20
            idle_timeout_s = 5
            """, file: "t.toml")
        #expect(config.limits.maxRequestBytes == 512 << 10)
        #expect(config.limits.maxHeaderBytes == 8 << 10)
        #expect(config.limits.maxHeaderCount == 20)
        #expect(config.limits.idleTimeoutSeconds == 5)
        #expect(try ConfigLoader.loadDefault().limits == ServerLimits(), "the embedded default spells out the defaults")
        var changed = config
        changed.limits.maxHeaderCount = 50
        #expect(ConfigReload(running: config, new: changed).refused.contains { $0.contains("[server] limit") })
    }
}
