import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TesseraTestSupport

/// The built `tesserad` and `tessera` executables, run as an operator would run them.
@Suite("tesserad and tessera end to end", .serialized)
struct DaemonTests {
    let tesserad = TestSupport.productsDirectory.appendingPathComponent("tesserad").path
    let tessera = TestSupport.productsDirectory.appendingPathComponent("tessera").path

    /// Writes a configuration with the bundled plugins and one that cannot load.
    func makeConfig(port: Int, folder: URL) throws -> String {
        let text = """
            [server]
            listen = "127.0.0.1:\(port)"
            [store]
            path = "\(folder.appendingPathComponent("store").path)"
            [log]
            level = "info"
            [[plugins]]
            name = "latency-slo"
            [plugins.settings]
            p99_ms = 25
            [[plugins]]
            name = "jsonl-events"
            [plugins.settings]
            path = "\(folder.appendingPathComponent("events.jsonl").path)"
            [[plugins]]
            name = "prometheus"
            [[plugins]]
            name = "safetensors"
            [[plugins]]
            path = "libmissing.so"
            """
        let file = folder.appendingPathComponent("tessera.toml").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func waitUntilLive(port: Int, process: Process) async throws {
        let url = URL(string: "http://127.0.0.1:\(port)/v2/health/live")!
        for _ in 0..<300 {
            guard process.isRunning else { break }
            if let (_, response) = try? await URLSession.shared.data(from: url), (response as? HTTPURLResponse)?.statusCode == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSupport.CompileError(description: "tesserad did not become live on port \(port)")
    }

    @Test("tesserad serves, tessera lists its plugins, and SIGTERM shuts it down cleanly")
    func serveListAndStop() async throws {
        let folder = try TestSupport.temporaryDirectory("tessera-daemon")
        let port = try TestSupport.freePort()
        let config = try makeConfig(port: port, folder: folder)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tesserad)
        process.arguments = ["--config", config]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try await waitUntilLive(port: port, process: process)

        let store = folder.appendingPathComponent("store").path
        let tokenFile = folder.appendingPathComponent("store/management-token").path
        let attributes = try FileManager.default.attributesOfItem(atPath: tokenFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let list = try TestSupport.run(tessera, ["plugins", "list", "--url", "http://127.0.0.1:\(port)", "--store", store])
        #expect(list.status == 0, "\(list.stderr)")
        let rows = list.stdout.split(separator: "\n").map(String.init)
        #expect(rows.first?.hasPrefix("NAME") == true)
        #expect(rows.contains { $0.hasPrefix("latency-slo") && $0.contains("monitor") && $0.contains("active") })
        #expect(rows.contains { $0.hasPrefix("libmissing") && $0.contains("failed") && $0.contains("plugin file not found") })

        let json = try TestSupport.run(tessera, ["plugins", "list", "--json", "--url", "http://127.0.0.1:\(port)", "--store", store])
        let listing = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((listing["plugins"] as? [Any])?.count == 5)

        let denied = try TestSupport.run(tessera, ["plugins", "list", "--url", "http://127.0.0.1:\(port)", "--token", "wrong"])
        #expect(denied.status != 0)
        #expect(denied.stderr.contains("403"))

        // The store commands work through the daemon too (--url), and land in the daemon's store.
        let url = "http://127.0.0.1:\(port)"
        let fixture = TestSupport.root.appendingPathComponent("Plugins/safetensors/fixtures/tiny.safetensors").path
        let registered = try TestSupport.run(tessera, ["register", "remote", fixture, "--alias", "staging", "--url", url, "--store", store])
        #expect(registered.status == 0, "\(registered.stderr)")
        #expect(registered.stdout.contains("registered remote:1 (safetensors"))
        #expect(try TestSupport.run(tessera, ["deploy", "remote@staging", "--url", url, "--store", store]).stdout == "remote: primary is now 1\n")
        let audit = try TestSupport.run(tessera, ["audit", "remote", "--json", "--url", url, "--store", store])
        let auditEvents = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [[String: Any]])
        #expect(auditEvents.first?["action"] as? String == "deploy")
        #expect(auditEvents.first?["actor"] as? String == "api")
        let offline = try TestSupport.run(tessera, ["versions", "remote", "--json", "--store", store])
        #expect((try JSONSerialization.jsonObject(with: Data(offline.stdout.utf8)) as? [Any])?.count == 1)

        // SIGHUP: a new plugin is loaded live; a changed setting is refused and logged.
        var text = try String(contentsOfFile: config, encoding: .utf8)
        text = text.replacingOccurrences(of: "p99_ms = 25", with: "p99_ms = 30") + "\n[[plugins]]\nname = \"prune-magnitude\"\n"
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        var reloaded = false
        for _ in 0..<100 where !reloaded {
            let listed = try TestSupport.run(tessera, ["plugins", "list", "--url", url, "--store", store])
            reloaded = listed.stdout.split(separator: "\n").contains { $0.hasPrefix("prune-magnitude") && $0.contains("active") }
            if !reloaded { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(reloaded, "SIGHUP did not load the added plugin")
        #expect(process.isRunning, "SIGHUP must not end the daemon")

        process.terminate()  // SIGTERM
        process.waitUntilExit()
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(log)")
        #expect(log.contains("tesserad stopped"))
        #expect(log.contains("not applied: plugin 'latency-slo' changed"), "\(log)")

        let events = try String(contentsOfFile: folder.appendingPathComponent("events.jsonl").path, encoding: .utf8)
        let first = try #require(events.split(separator: "\n").first)
        let event = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        #expect(event["type"] as? String == "daemon.started")
        #expect((event["message"] as? String)?.contains("listening on 127.0.0.1:\(port)") == true)
    }

    @Test("tesserad --strict refuses to run when a plugin fails to load")
    func strict() throws {
        let folder = try TestSupport.temporaryDirectory("tessera-daemon")
        let config = try makeConfig(port: try TestSupport.freePort(), folder: folder)
        let result = try TestSupport.run(tesserad, ["--config", config, "--strict"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--strict: 1 plugin(s) failed to load"))
        #expect(result.stderr.contains("libmissing"))
    }

    @Test("tessera config check names file, line and key, and exits 1")
    func configCheck() throws {
        let folder = try TestSupport.temporaryDirectory("tessera-config")
        let bad = folder.appendingPathComponent("bad.toml").path
        try "[server]\nlisten = \"127.0.0.1:8080\"\ncolour = \"blue\"\n[[plugins]]\nname = \"no-such-plugin\"\n"
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let result = try TestSupport.run(tessera, ["config", "check", bad])
        #expect(result.status == 1)
        #expect(result.stdout.contains("\(bad):3: server.colour: unknown key; accepted here: listen"), "\(result.stdout)")

        let missing = folder.appendingPathComponent("missing.toml").path
        try "[[plugins]]\nname = \"no-such-plugin\"\n".write(toFile: missing, atomically: true, encoding: .utf8)
        let second = try TestSupport.run(tessera, ["config", "check", missing])
        #expect(second.status == 1)
        #expect(second.stdout.contains("\(missing):1: plugins[1].name: no bundled plugin named 'no-such-plugin'"), "\(second.stdout)")

        let good = folder.appendingPathComponent("good.toml").path
        try TestSupport.run(tessera, ["config", "default"]).stdout.write(toFile: good, atomically: true, encoding: .utf8)
        // The default writes events under ./.tessera, which tesserad creates on start.
        try FileManager.default.createDirectory(at: folder.appendingPathComponent(".tessera"), withIntermediateDirectories: true)
        let ok = try TestSupport.run(tessera, ["config", "check", good, "--load-plugins"], directory: folder)
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("OK"))
    }

    @Test("tessera plugins check passes a conforming plugin and fails one built for another ABI")
    func pluginsCheck() throws {
        let good = try TestSupport.buildFixture("host_probe.c")
        let pass = try TestSupport.run(tessera, ["plugins", "check", good])
        #expect(pass.status == 0, "\(pass.stdout)\(pass.stderr)")
        #expect(pass.stdout.contains("PASS  load: ABI 1.0 accepted"))
        #expect(pass.stdout.contains("PASS  format 'probe'"))
        #expect(pass.stdout.contains("verdict: PASS"))

        let wrongABI = try TestSupport.buildFixture("bad_plugin.c", defines: ["-DABI_MAJOR=2"])
        let fail = try TestSupport.run(tessera, ["plugins", "check", wrongABI])
        #expect(fail.status == 1)
        #expect(fail.stdout.contains("FAIL  load:"))
        #expect(fail.stdout.contains("built for plugin ABI 2.0"))
        #expect(fail.stdout.contains("verdict: FAIL"))
    }

    @Test("tessera --help lists the commands and tessera version prints the ABI")
    func help() throws {
        let help = try TestSupport.run(tessera, ["--help"])
        for command in ["plugins", "config", "version"] { #expect(help.stdout.contains(command)) }
        let version = try TestSupport.run(tessera, ["version"])
        #expect(version.stdout.contains("plugin ABI 1.0"))
    }
}
