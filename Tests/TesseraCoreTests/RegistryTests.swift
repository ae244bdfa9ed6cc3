import Foundation
import Synchronization
import Testing
@testable import TesseraCore
import TesseraTestSupport

/// The model registry against real SQLite files in temporary folders.
@Suite("Registry")
struct RegistryTests {
    // MARK: - Fixtures

    /// A fresh registry in its own temporary folder, removed afterwards.
    func withRegistry(_ body: (Registry, URL) async throws -> Void) async throws {
        let folder = try TestSupport.temporaryDirectory("tessera-registry")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("registry.sqlite")
        try await body(try Registry(path: path), path)
    }

    /// A distinct, valid sha256 for artifact `n`.
    func digest(_ n: Int) -> String { String(format: "%064x", n) }

    func new(_ model: String, _ n: Int = 1, parent: Int? = nil, metrics: String? = nil, tags: [String: String] = [:],
             aliases: [String] = []) -> NewVersion {
        NewVersion(model: model, artifactDigest: digest(n), format: "safetensors", sizeBytes: Int64(100 * n),
                   parent: parent, metricsJSON: metrics, tags: tags, aliases: aliases)
    }

    func error<T>(_ body: () throws -> T) -> RegistryError? {
        do {
            _ = try body()
            return nil
        } catch let error as RegistryError {
            return error
        } catch {
            Issue.record("expected a RegistryError, got \(error)")
            return nil
        }
    }

    // MARK: - Models and versions

    @Test("registering creates the model and version 1; the next registration is version 2")
    func registerNumbers() async throws {
        try await withRegistry { registry, _ in
            let first = try registry.registerVersion(new("bert", 1), actor: "alice")
            #expect(first.model == "bert")
            #expect(first.number == 1)
            #expect(first.artifactDigest == digest(1))
            #expect(first.producer == "register")
            #expect(first.createdBy == "alice")
            let model = try #require(try registry.model("bert"))
            #expect(model.versionCount == 1 && model.latestVersion == 1 && model.createdBy == "alice")

            let second = try registry.registerVersion(new("bert", 2, parent: 1), actor: "bob")
            #expect(second.number == 2)
            #expect(second.parent == 1)
            #expect(try registry.versions(of: "bert").map(\.number) == [1, 2])
            #expect(try registry.models().map { [$0.name, "\($0.versionCount)", "\($0.latestVersion ?? 0)"] }
                    == [["bert", "2", "2"]])
            #expect(try registry.model("BERT")?.name == "bert", "names are case-insensitive")
            #expect(try registry.audit(model: "bert").map(\.action)
                    == [.versionRegister, .versionRegister, .modelCreate])
            #expect(try registry.referencedDigests() == [digest(1), digest(2)])
        }
    }

    @Test("createModel records description and task, and refuses a duplicate name in any case")
    func createModel() async throws {
        try await withRegistry { registry, _ in
            let model = try registry.createModel(name: "MiniLM", description: "sentence embeddings",
                                                 task: "text-embedding", actor: "alice")
            #expect(model.description == "sentence embeddings" && model.task == "text-embedding")
            #expect(model.versionCount == 0 && model.latestVersion == nil)
            let duplicate = error { try registry.createModel(name: "minilm", actor: "bob") }
            #expect(duplicate?.code == .conflict)
            #expect(duplicate?.message.contains("already exists") == true)
            #expect(try registry.registerVersion(new("minilm"), actor: "bob").model == "MiniLM")
        }
    }

    @Test("a registration is one transaction: when it fails, nothing of it remains")
    func registrationIsAtomic() async throws {
        try await withRegistry { registry, _ throws in
            let failure = error { try registry.registerVersion(new("fresh", parent: 5, tags: ["team": "nlp"]), actor: "alice") }
            #expect(failure?.code == .notFound)
            #expect(failure?.message.contains("no parent version 5") == true)
            #expect(try registry.model("fresh") == nil, "the model created in the same transaction was rolled back")
            #expect(try registry.audit().isEmpty)
        }
    }

    @Test("versions are immutable: the database refuses updates and deletes; only metrics merge, audited")
    func immutability() async throws {
        try await withRegistry { registry, _ in
            try registry.registerVersion(new("bert", metrics: #"{"validation_accuracy": 0.91, "f1": 0.8}"#), actor: "alice")
            let update = error { try registry.withConnection { try $0.run("UPDATE versions SET format = 'onnx'") } }
            #expect(update?.message.contains("immutable") == true)
            let delete = error { try registry.withConnection { try $0.run("DELETE FROM versions") } }
            #expect(delete?.message.contains("never deleted") == true)
            #expect(try registry.version("bert", 1)?.format == "safetensors")

            let merged = try registry.recordMetrics(model: "bert", version: 1,
                                                    metricsJSON: #"{"latency_p99_ms": 12, "f1": null}"#, actor: "ci")
            #expect(merged.metrics == ["validation_accuracy": 0.91, "latency_p99_ms": 12])
            let event = try #require(try registry.audit(model: "bert", limit: 1).first)
            #expect(event.action == .metricsRecord && event.actor == "ci" && event.version == 1)
            #expect(event.before == ["validation_accuracy": 0.91, "f1": 0.8])
            #expect(event.after == merged.metrics)
            #expect(error { try registry.recordMetrics(model: "bert", version: 1, metricsJSON: "[1]", actor: "ci") }?.code
                    == .invalidArgument)
        }
    }

    @Test("records encode as JSON with nested signature, parameters and metrics")
    func recordsEncodeAsJSON() async throws {
        try await withRegistry { registry, _ in
            var version = new("bert", metrics: #"{"accuracy": 0.5}"#)
            version.signatureJSON = #"{"inputs": [{"name": "input_ids", "datatype": "INT64"}]}"#
            version.producer = "optimize:int8"
            version.parametersJSON = #"{"bits": 8}"#
            let registered = try registry.registerVersion(version, actor: "alice")
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let text = String(decoding: try encoder.encode(registered), as: UTF8.self)
            #expect(text.contains(#""metrics":{"accuracy":0.5}"#))
            #expect(text.contains(#""parameters":{"bits":8}"#))
            #expect(text.contains(#""producer":"optimize:int8""#))
            #expect(try JSONDecoder().decode(ModelVersion.self, from: Data(text.utf8)) == registered)
            #expect(registered.createdAt.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
            #expect(Registry.timestamp(Date(timeIntervalSince1970: 1.5)) == "1970-01-01T00:00:01.500Z")
        }
    }

    @Test("registration rejects bad digests, kinds, formats and producers with clear messages", arguments: [
        ("digest", "abc", "not a sha256"),
        ("kind", "tarball", "\"file\" or \"directory\""),
        ("producer", "quantize:x", "not recognised"),
        ("producer", "optimize:../x", "plugin name"),
        ("format", "onnx/v2", "path separators"),
        ("metrics", "{oops", "not valid"),
        ("metrics", "[1, 2]", "must be a JSON object"),
    ])
    func registrationValidation(field: String, value: String, fragment: String) async throws {
        try await withRegistry { registry, _ throws in
            var version = new("bert")
            switch field {
            case "digest": version.artifactDigest = value
            case "kind": version.artifactKind = value
            case "producer": version.producer = value
            case "format": version.format = value
            default: version.metricsJSON = value
            }
            let failure = error { try registry.registerVersion(version, actor: "alice") }
            #expect(failure?.code == .invalidArgument)
            #expect(failure?.message.contains(fragment) == true, "\(failure?.message ?? "no error")")
            #expect(try registry.models().isEmpty)
        }
    }

    // MARK: - References

    @Test("references resolve: name, name:2, name@staging, name@latest, and name → production when set")
    func references() async throws {
        try await withRegistry { registry, _ in
            for n in 1...3 { try registry.registerVersion(new("bert", n), actor: "alice") }
            #expect(try registry.resolve("bert").number == 3, "no production alias: the latest")
            #expect(try registry.resolve("bert:2").number == 2)
            try registry.setAlias(model: "bert", alias: "staging", version: 2, actor: "alice")
            #expect(try registry.resolve("bert@staging").number == 2)
            try registry.setAlias(model: "bert", alias: "production", version: 1, actor: "alice")
            #expect(try registry.resolve("bert").number == 1, "production when set")
            #expect(try registry.resolve("bert@latest").number == 3)
            #expect(try registry.resolve(.number(model: "BERT", version: 3)).model == "bert")
        }
    }

    @Test("unknown models, versions and aliases are not found, listing what exists")
    func notFoundListsWhatExists() async throws {
        try await withRegistry { registry, _ in
            #expect(error { try registry.resolve("bert") }?.message.contains("has no models yet") == true)
            for n in 1...3 { try registry.registerVersion(new("bert", n), actor: "alice") }
            try registry.registerVersion(new("gpt", 9), actor: "alice")
            try registry.setAlias(model: "bert", alias: "staging", version: 2, actor: "alice")
            let cases: [(String, String)] = [
                ("nope", "there is no model \"nope\"; the registry has 2 models: bert, gpt"),
                ("bert:7", "model \"bert\" has no version 7; its versions are 1–3"),
                ("bert@prod", "model \"bert\" has no alias \"prod\"; it has 1 alias: staging"),
                ("gpt@prod", "it has no aliases yet"),
            ]
            let failures = cases.map { reference, _ in error { try registry.resolve(reference) } }
            for (failure, (_, message)) in zip(failures, cases) {
                #expect(failure?.code == .notFound)
                #expect(failure?.message.contains(message) == true, "\(failure?.message ?? "no error")")
            }
        }
    }

    @Test("reference parsing", arguments: [
        ("bert", VersionReference.model("bert")),
        ("bert:12", .number(model: "bert", version: 12)),
        ("bert@staging", .alias(model: "bert", alias: "staging")),
        ("bert@latest", .latest(model: "bert")),
        ("minilm-L6.v2", .model("minilm-L6.v2")),
    ])
    func parsing(text: String, expected: VersionReference) throws {
        let reference = try VersionReference(parsing: text)
        #expect(reference == expected)
        #expect(reference.description == text)
    }

    @Test("bad references are rejected with what is wrong", arguments: [
        ("", "empty"),
        ("bert:", "no version number after ':'"),
        ("bert:0", "start at 1"),
        ("bert:-1", "not a version number"),
        ("bert:staging", "use '@' for an alias: bert@staging"),
        ("bert@", "no alias after '@'"),
        ("bert@prod:3", "both ':' and '@'"),
        ("../bert:3", "starts with '.'"),
        ("bert@a/b", "path separators"),
    ])
    func badReferences(text: String, fragment: String) {
        let failure = error { try VersionReference(parsing: text) }
        #expect(failure?.code == .invalidReference)
        #expect(failure?.message.contains(fragment) == true, "\(failure?.message ?? "no error")")
    }

    // MARK: - Names

    @Test("bad model names are rejected, saying what is wrong and what is allowed", arguments: [
        ("", "is empty"),
        ("../etc", "starts with '.'"),
        ("a/b", "contains '/' (path separators are not allowed)"),
        ("a\\b", "path separators"),
        ("a..b", "contains \"..\""),
        ("-x", "starts with '-'"),
        ("a b", "contains a space"),
        ("café", "only ASCII"),
        ("tab\there", "U+0009"),
        (String(repeating: "a", count: 65), "the limit is 64"),
        ("health", "reserved"),
        ("V2", "reserved"),
        ("repository", "reserved"),
    ])
    func badModelNames(name: String, fragment: String) async throws {
        try await withRegistry { registry, _ in
            let failure = error { try registry.createModel(name: name, actor: "alice") }
            #expect(failure?.code == .invalidName)
            #expect(failure?.message.contains(fragment) == true, "\(failure?.message ?? "no error")")
            if fragment != "reserved" && !fragment.contains("limit") {
                #expect(failure?.message.contains("letters, digits, '.', '_', '-'") == true)
            }
        }
    }

    @Test("names at the limits are accepted")
    func goodNames() async throws {
        try await withRegistry { registry, _ in
            for name in ["a", String(repeating: "z", count: 64), "all-MiniLM-L6_v2.1", "v2model", "9lives"] {
                try registry.createModel(name: name, actor: "alice")
            }
            #expect(try registry.models().count == 5)
        }
    }

    @Test("bad aliases, tag keys and actors are rejected", arguments: [
        ("alias", "latest", "reserved"),
        ("alias", "123", "all digits"),
        ("alias", "pro/d", "path separators"),
        ("tag", "a..b", "\"..\""),
        ("tag", "", "empty"),
        ("actor", "", "who made it"),
    ])
    func badOtherNames(kind: String, value: String, fragment: String) async throws {
        try await withRegistry { registry, _ in
            try registry.registerVersion(new("bert"), actor: "alice")
            let failure = error {
                switch kind {
                case "alias": try registry.setAlias(model: "bert", alias: value, version: 1, actor: "alice")
                case "tag": try registry.setTag(model: "bert", key: value, value: "x", actor: "alice")
                default: try registry.setTag(model: "bert", key: "team", value: "x", actor: value)
                }
            }
            #expect(failure?.code == .invalidName)
            #expect(failure?.message.contains(fragment) == true, "\(failure?.message ?? "no error")")
        }
    }

    // MARK: - Aliases and tags

    @Test("moving an alias is audited with the version before and after")
    func aliasMoves() async throws {
        try await withRegistry { registry, _ in
            for n in 1...2 { try registry.registerVersion(new("bert", n), actor: "alice") }
            #expect(try registry.setAlias(model: "bert", alias: "production", version: 1, actor: "alice") == nil)
            #expect(try registry.setAlias(model: "bert", alias: "production", version: 2, actor: "bob") == 1)
            try registry.setAlias(model: "bert", alias: "production", version: 2, actor: "bob")
            let events = try registry.audit(model: "bert", limit: 2)
            #expect(events.map(\.action) == [.aliasMove, .aliasSet], "setting the same target again is not a change")
            #expect(events[0].actor == "bob" && events[0].version == 2)
            #expect(events[0].before == ["alias": "production", "version": 1])
            #expect(events[0].after == ["alias": "production", "version": 2])

            let missing = error { try registry.setAlias(model: "bert", alias: "staging", version: 9, actor: "alice") }
            #expect(missing?.code == .notFound)
            #expect(missing?.message.contains("only point at a registered version") == true)

            let third = try registry.registerVersion(new("bert", 3, aliases: ["production", "canary-next"]), actor: "ci")
            #expect(third.aliases == ["canary-next", "production"])
            #expect(try registry.aliases(of: "bert") == ["production": 3, "canary-next": 3])
            #expect(try registry.audit(model: "bert", limit: 2).map(\.action) == [.aliasSet, .aliasMove])
            try registry.removeAlias(model: "bert", alias: "canary-next", actor: "alice")
            #expect(try registry.audit(model: "bert", limit: 1)[0].action == .aliasRemove)
            #expect(error { try registry.removeAlias(model: "bert", alias: "canary-next", actor: "alice") }?.code == .notFound)
            #expect(try registry.model("bert")?.aliases == ["production": 3])
        }
    }

    @Test("tags on models and versions are set, replaced and removed, each audited")
    func tags() async throws {
        try await withRegistry { registry, _ in
            try registry.registerVersion(new("bert", tags: ["dataset": "sst2"]), actor: "alice")
            try registry.setTag(model: "bert", key: "team", value: "nlp", actor: "alice")
            try registry.setTag(model: "bert", key: "team", value: "search", actor: "bob")
            try registry.setTag(model: "bert", version: 1, key: "reviewed", value: "yes", actor: "bob")
            #expect(try registry.tags(model: "bert") == ["team": "search"])
            #expect(try registry.tags(model: "bert", version: 1) == ["dataset": "sst2", "reviewed": "yes"])
            #expect(try registry.version("bert", 1)?.tags == ["dataset": "sst2", "reviewed": "yes"])
            #expect(try registry.model("bert")?.tags == ["team": "search"])

            let replaced = try #require(try registry.audit(model: "bert").first { $0.actor == "bob" && $0.version == nil })
            #expect(replaced.action == .tagSet)
            #expect(replaced.before == ["key": "team", "value": "nlp"] && replaced.after == ["key": "team", "value": "search"])

            try registry.removeTag(model: "bert", version: 1, key: "dataset", actor: "carol")
            let removed = try #require(try registry.audit(model: "bert", limit: 1).first)
            #expect(removed.action == .tagRemove && removed.version == 1 && removed.after == nil)
            let missing = error { try registry.removeTag(model: "bert", key: "owner", actor: "carol") }
            #expect(missing?.code == .notFound)
            #expect(missing?.message.contains("its tags are team") == true)
            #expect(error { try registry.setTag(model: "bert", version: 4, key: "a", value: "b", actor: "x") }?.code == .notFound)
        }
    }

    // MARK: - Deployments

    @Test("rollback restores the exact previous primary, one step at a time")
    func rollbackStepwise() async throws {
        try await withRegistry { registry, _ in
            for n in 1...3 { try registry.registerVersion(new("bert", n), actor: "alice") }
            #expect(error { try registry.rollback(model: "bert", actor: "alice") }?.code == .notFound)
            for n in 1...3 { try registry.deploy(model: "bert", version: n, actor: "alice") }
            try registry.deploy(model: "bert", version: 3, actor: "alice")
            #expect(try registry.deployment(of: "bert")?.previousPrimaries == [2, 1], "redeploying the primary changes nothing")

            #expect(try registry.rollback(model: "bert", actor: "bob") == (from: 3, to: 2))
            #expect(try registry.deployment(of: "bert")?.primary == 2)
            #expect(try registry.rollback(model: "bert", actor: "bob") == (from: 2, to: 1))
            let deployment = try #require(try registry.deployment(of: "bert"))
            #expect(deployment.primary == 1 && deployment.previousPrimaries.isEmpty && deployment.updatedBy == "bob")
            let none = error { try registry.rollback(model: "bert", actor: "bob") }
            #expect(none?.code == .conflict)
            #expect(none?.message.contains("no previous primary") == true)

            let events = try registry.audit(model: "bert", limit: 2)
            #expect(events.map(\.action) == [.rollback, .rollback])
            #expect(events[0].before?["primary"] == 2 && events[0].after?["primary"] == 1)
        }
    }

    @Test("rollback --to returns to a named earlier primary and drops the later history")
    func rollbackTo() async throws {
        try await withRegistry { registry, _ in
            for n in 1...5 { try registry.registerVersion(new("bert", n), actor: "alice") }
            for n in 1...4 { try registry.deploy(model: "bert", version: n, actor: "alice") }
            #expect(try registry.rollback(model: "bert", to: 2, actor: "bob") == (from: 4, to: 2))
            #expect(try registry.deployment(of: "bert")?.previousPrimaries == [1])
            let never = error { try registry.rollback(model: "bert", to: 5, actor: "bob") }
            #expect(never?.message.contains("never a primary") == true)
            #expect(error { try registry.rollback(model: "bert", to: 2, actor: "bob") }?.message.contains("already the primary") == true)
            #expect(try registry.rollback(model: "bert", to: 1, actor: "bob") == (from: 2, to: 1))
        }
    }

    @Test("canary and shadow are recorded, validated, promoted by deploy and audited")
    func canaryAndShadow() async throws {
        try await withRegistry { registry, _ in
            for n in 1...3 { try registry.registerVersion(new("bert", n), actor: "alice") }
            #expect(error { try registry.setCanary(model: "bert", version: 2, weight: 10, actor: "a") }?.message
                    .contains("deploy a version first") == true)
            try registry.deploy(model: "bert", version: 1, actor: "alice")
            let plan = CanaryPlan(steps: [10, 50, 100], windowSeconds: 30)
            let started = try registry.setCanary(model: "bert", version: 2, weight: 10, plan: plan, actor: "alice")
            #expect(started.canary?.plan == plan)
            let stepped = try registry.setCanary(model: "bert", version: 2, weight: 50, actor: "controller")
            #expect(stepped.canary?.version == 2)
            #expect(stepped.canary?.weight == 50)
            #expect(stepped.canary?.state == .running)
            #expect(stepped.canary?.plan == plan, "stepping keeps the plan")
            #expect(stepped.canary?.stepStartedAt != nil)
            #expect(plan.step(after: 10) == 50)
            #expect(plan.step(after: 100) == nil)
            for bad in [CanaryPlan(steps: [50, 25, 100], windowSeconds: 30), CanaryPlan(steps: [10, 50], windowSeconds: 30),
                        CanaryPlan(steps: [10, 100], windowSeconds: 0)] {
                #expect(error { try registry.setCanary(model: "bert", version: 2, weight: 10, plan: bad, actor: "a") }?.code == .invalidArgument)
            }
            #expect(error { try registry.setCanary(model: "bert", version: 2, weight: 101, actor: "a") }?.code == .invalidArgument)
            #expect(error { try registry.setCanary(model: "bert", version: 1, weight: 5, actor: "a") }?.code == .conflict)
            #expect(error { try registry.setShadow(model: "bert", version: 7, actor: "a") }?.code == .notFound)

            let shadowed = try registry.setShadow(model: "bert", version: 3, fraction: 0.25, actor: "alice")
            #expect(shadowed.shadow == Deployment.Shadow(version: 3, fraction: 0.25))
            let promoted = try registry.deploy(model: "bert", version: 2, actor: "controller")
            #expect(promoted.primary == 2 && promoted.canary == nil && promoted.previousPrimaries == [1])
            #expect(promoted.shadow?.version == 3)
            try registry.clearShadow(model: "bert", actor: "alice")
            try registry.clearShadow(model: "bert", actor: "alice")
            #expect(try registry.deployment(of: "bert")?.shadow == nil)

            let actions = try registry.audit(model: "bert", limit: 5).map(\.action)
            #expect(actions == [.shadowClear, .deploy, .shadowSet, .canarySet, .canarySet])
            let step = try registry.audit(model: "bert", limit: 4)[3]
            #expect(step.before?["canary"]?["weight"] == 10 && step.after?["canary"]?["weight"] == 50)
        }
    }

    // MARK: - Audit

    @Test("audit rows are append-only: the database refuses UPDATE and DELETE")
    func auditAppendOnly() async throws {
        try await withRegistry { registry, _ in
            try registry.registerVersion(new("bert"), actor: "alice")
            for statement in ["UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"] {
                let failure = error { try registry.withConnection { try $0.run(statement) } }
                #expect(failure?.message.contains("append-only") == true, "\(statement)")
            }
            let events = try registry.audit()
            #expect(events.map(\.actor) == ["alice", "alice"])
            #expect(events.map(\.action) == [.versionRegister, .modelCreate])
            #expect(events[0].at.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
            #expect(try registry.audit(limit: 1, before: events[0].id).map(\.id) == [events[1].id], "pages back")
        }
    }

    // MARK: - Schema

    /// Rows written with the schema as it was after each migration, and how to check they survived.
    /// When a migration is added, add its seed here: the upgrade test then covers it.
    static let seeds: [Int: String] = [
        1: """
            INSERT INTO models (id, name, description, task, created_at, created_by)
                VALUES (1, 'legacy', 'old model', 'classification', '2024-01-01T00:00:00.000Z', 'old');
            INSERT INTO versions (model_id, number, artifact_digest, artifact_kind, format, size_bytes, producer,
                                  metrics_json, created_at, created_by)
                VALUES (1, 1, '\(String(repeating: "a", count: 64))', 'file', 'onnx', 10, 'register',
                        '{"accuracy":0.5}', '2024-01-01T00:00:00.000Z', 'old'),
                       (1, 2, '\(String(repeating: "b", count: 64))', 'directory', 'hf-bert', 20, 'register',
                        NULL, '2024-01-02T00:00:00.000Z', 'old');
            INSERT INTO audit_events (at, actor, action, model, version, after_json)
                VALUES ('2024-01-01T00:00:00.000Z', 'old', 'version.register', 'legacy', 1, '{}');
            """,
        2: """
            INSERT INTO model_tags VALUES (1, 'team', 'vision');
            INSERT INTO version_tags VALUES ((SELECT id FROM versions WHERE number = 1), 'reviewed', 'yes');
            INSERT INTO aliases VALUES (1, 'production', 1, '2024-01-03T00:00:00.000Z', 'old');
            """,
        3: """
            INSERT INTO deployments (model_id, primary_version, updated_at, updated_by)
                VALUES (1, 2, '2024-01-04T00:00:00.000Z', 'old');
            INSERT INTO deployment_history (model_id, version, replaced_at, replaced_by)
                VALUES (1, 1, '2024-01-04T00:00:00.000Z', 'old');
            """,
        4: """
            UPDATE deployments SET canary_version = 1, canary_weight = 10, canary_state = 'running',
                canary_plan = '{"steps":[10,50,100],"window_seconds":30}', canary_step_at = '2024-01-05T00:00:00.000Z';
            """,
    ]

    @Test("a database at every earlier schema version upgrades to the current one with its data",
          arguments: 0...Registry.schemaVersion)
    func upgrade(from schema: Int) throws {
        #expect(Set(Self.seeds.keys) == Set(1...Registry.schemaVersion), "every migration has a seed")
        let folder = try TestSupport.temporaryDirectory("tessera-registry")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("registry.sqlite")
        do {
            let old = try Registry(path: path, schemaVersion: schema)
            try old.withConnection { db in
                #expect(try db.userVersion() == schema)
                for version in stride(from: 1, through: schema, by: 1) {
                    try db.exec(Self.seeds[version]!)
                }
            }
        }

        let registry = try Registry(path: path)
        #expect(try registry.withConnection { try $0.userVersion() } == Registry.schemaVersion)
        if schema >= 1 {
            let model = try #require(try registry.model("legacy"))
            #expect(model.description == "old model" && model.task == "classification" && model.versionCount == 2)
            #expect(try registry.resolve("legacy:1").metrics == ["accuracy": 0.5])
            #expect(try registry.resolve("legacy:2").artifactKind == "directory")
            #expect(try registry.audit(model: "legacy").last?.actor == "old")
            #expect(try registry.referencedDigests().count == 2)
        }
        if schema >= 2 {
            #expect(try registry.tags(model: "legacy") == ["team": "vision"])
            #expect(try registry.tags(model: "legacy", version: 1) == ["reviewed": "yes"])
            #expect(try registry.resolve("legacy").number == 1, "production alias")
        }
        if schema >= 3 {
            #expect(try registry.deployment(of: "legacy")?.primary == 2)
            #expect(try registry.rollback(model: "legacy", actor: "new") == (from: 2, to: 1))
        }
        // The upgraded database takes new writes.
        let next = try registry.registerVersion(new("legacy", 3, aliases: ["staging"]), actor: "new")
        #expect(next.number == (schema >= 1 ? 3 : 1))
    }

    @Test("a database with a newer schema is refused, untouched, with a message saying to upgrade")
    func newerSchemaRefused() throws {
        let folder = try TestSupport.temporaryDirectory("tessera-registry")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("registry.sqlite")
        try Registry(path: path).withConnection { try $0.exec("PRAGMA user_version = 99") }
        let failure = error { try Registry(path: path) }
        #expect(failure?.code == .schemaTooNew)
        #expect(failure?.message.contains("schema version 99") == true)
        #expect(failure?.message.contains("up to \(Registry.schemaVersion)") == true)
        #expect(failure?.message.contains("upgrade Tessera") == true)
        #expect(try SQLiteDatabase(path: path.path).userVersion() == 99)
    }

    @Test("files that are not a Tessera registry are refused")
    func foreignFilesRefused() throws {
        let folder = try TestSupport.temporaryDirectory("tessera-registry")
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = folder.appendingPathComponent("notes.txt")
        try Data(String(repeating: "not a database\n", count: 100).utf8).write(to: text)
        #expect(error { try Registry(path: text) }?.code == .notARegistry)

        let other = folder.appendingPathComponent("other.sqlite")
        try SQLiteDatabase(path: other.path).exec("CREATE TABLE things (x)")
        let failure = error { try Registry(path: other) }
        #expect(failure?.code == .notARegistry)
        #expect(failure?.message.contains("not a Tessera registry") == true)
    }

    // MARK: - Concurrency

    @Test("concurrent registrations through two connections get numbers 1…N without gaps or duplicates")
    func concurrentRegistrations() async throws {
        try await withRegistry { first, path in
            let second = try Registry(path: path)
            let count = 60
            let numbers = try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 1...count {
                    group.addTask {
                        try (n.isMultiple(of: 2) ? first : second)
                            .registerVersion(new("bert", n, tags: ["task": "\(n)"]), actor: "writer-\(n % 2)")
                            .number
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(numbers.sorted() == Array(1...count))
            #expect(try first.versions(of: "bert").map(\.number) == Array(1...count))
            #expect(try second.audit(model: "bert", limit: 1000).filter { $0.action == .versionRegister }.count == count)
            #expect(try first.model("bert")?.versionCount == count)
        }
    }

    @Test("connections opening a new file at the same moment migrate it exactly once")
    func concurrentFirstOpen() async throws {
        let folder = try TestSupport.temporaryDirectory("tessera-registry")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("registry.sqlite")
        let registries = try await withThrowingTaskGroup(of: Registry.self) { group in
            for _ in 0..<4 { group.addTask { try Registry(path: path) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (index, registry) in registries.enumerated() {
            #expect(try registry.withConnection { try $0.userVersion() } == Registry.schemaVersion)
            try registry.registerVersion(new("bert", index), actor: "opener-\(index)")
        }
        #expect(try registries[0].versions(of: "bert").map(\.number) == [1, 2, 3, 4])
    }

    /// A small C program, linked against the system sqlite3, that writes to a registry from
    /// another process: `hold` keeps a write transaction open until a line arrives on stdin,
    /// `register <model> <n>` registers versions with the registry's numbering statement.
    static let helperSource = #"""
        #include <sqlite3.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>

        static void must(sqlite3 *db, int rc, const char *what) {
            if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
                fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
                exit(1);
            }
        }

        int main(int argc, char **argv) {
            sqlite3 *db;
            if (argc < 3 || sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) return 2;
            sqlite3_busy_timeout(db, 10000);
            must(db, sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), "pragma");
            if (strcmp(argv[2], "hold") == 0) {
                must(db, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), "begin");
                printf("locked\n");
                fflush(stdout);
                char line[16];
                if (!fgets(line, sizeof line, stdin)) line[0] = 0;
                must(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
            } else {
                sqlite3_stmt *insert;
                must(db, sqlite3_prepare_v2(db,
                    "INSERT INTO versions (model_id, number, artifact_digest, artifact_kind, format, size_bytes,"
                    " producer, created_at, created_by)"
                    " SELECT id, (SELECT coalesce(max(number), 0) + 1 FROM versions WHERE model_id = models.id),"
                    " printf('%064x', ?1), 'file', 'raw', 1, 'register', strftime('%Y-%m-%dT%H:%M:%fZ'), 'c-helper'"
                    " FROM models WHERE name = ?2", -1, &insert, NULL), "prepare");
                for (int i = 0; i < atoi(argv[4]); i++) {
                    must(db, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), "begin");
                    sqlite3_bind_int(insert, 1, 100000 + i);
                    sqlite3_bind_text(insert, 2, argv[3], -1, SQLITE_STATIC);
                    must(db, sqlite3_step(insert), "insert");
                    sqlite3_reset(insert);
                    must(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
                    usleep(300); /* other work between registrations, so the two writers interleave */
                }
                sqlite3_finalize(insert);
            }
            sqlite3_close(db);
            return 0;
        }
        """#

    func buildHelper(in folder: URL) throws -> String {
        let source = folder.appendingPathComponent("registry-helper.c")
        let binary = folder.appendingPathComponent("registry-helper").path
        try Data(Self.helperSource.utf8).write(to: source)
        let result = try TestSupport.run("/usr/bin/env", ["cc", "-std=c11", "-D_DEFAULT_SOURCE", "-O1", "-o", binary,
                                                          source.path, "-lsqlite3"])
        guard result.status == 0 else { throw TestSupport.CompileError(description: result.stderr) }
        return binary
    }

    @Test("a writer waits out another process's write transaction, and gives up after its busy timeout")
    func busyWaiting() async throws {
        try await withRegistry { registry, path in
            let helper = try buildHelper(in: path.deletingLastPathComponent())
            try registry.registerVersion(new("bert", 1), actor: "alice")
            let impatient = try Registry(path: path, busyTimeout: .milliseconds(200))

            let process = Process()
            process.executableURL = URL(fileURLWithPath: helper)
            process.arguments = [path.path, "hold"]
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            defer { process.waitUntilExit() }
            defer { try? input.fileHandleForWriting.close() }
            let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            try #require(line == "locked\n")

            let busy = error { try impatient.registerVersion(new("bert", 2), actor: "bob") }
            #expect(busy?.code == .busy)
            #expect(busy?.message.contains("locked by another writer") == true)

            // The release comes from its own thread, not a task: a cooperative pool starved by other
            // suites' blocking work must not delay it past the waiting writer's busy timeout.
            let clock = ContinuousClock()
            let started = clock.now
            final class Stamp: Sendable { let instant = Mutex<ContinuousClock.Instant?>(nil) }
            let released = Stamp()
            let writer = input.fileHandleForWriting
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: 0.3)
                released.instant.withLock { $0 = ContinuousClock().now }
                try? writer.write(contentsOf: Data("go\n".utf8))
            }
            let number = try registry.registerVersion(new("bert", 3), actor: "carol").number
            let finished = clock.now
            #expect(number == 2)
            let releasedAt = try #require(released.instant.withLock { $0 })
            #expect(finished > releasedAt, "the registration finished only after the other process committed")
            #expect(finished - started >= .milliseconds(300))
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
    }

    @Test("two processes registering into one file at once never lose or duplicate a number")
    func twoProcesses() async throws {
        try await withRegistry { registry, path in
            let helper = try buildHelper(in: path.deletingLastPathComponent())
            try registry.createModel(name: "bert", actor: "alice")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: helper)
            process.arguments = [path.path, "register", "bert", "40"]
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            for n in 1...40 { try registry.registerVersion(new("bert", n), actor: "swift") }
            process.waitUntilExit()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0, "\(stderr)")
            let versions = try registry.versions(of: "bert")
            #expect(versions.map(\.number) == Array(1...80))
            #expect(versions.filter { $0.createdBy == "swift" }.count == 40)
            #expect(versions.filter { $0.createdBy == "c-helper" }.count == 40)
        }
    }
}
