/// A field-by-field comparison of two versions, for `tessera diff` and the management API.
public struct VersionDiff: Sendable, Codable, Equatable {
    public let field: String
    public let first: String
    public let second: String
    public var differs: Bool { first != second }

    /// Signature, size, format, artifact, lineage, parameters, metrics, notes and tags, and,
    /// inside metrics and parameters, one row per key so a changed accuracy stands out.
    public static func rows(_ a: ModelVersion, _ b: ModelVersion) -> [VersionDiff] {
        var rows = [
            VersionDiff(field: "digest", first: a.artifactDigest, second: b.artifactDigest),
            VersionDiff(field: "format", first: a.format, second: b.format),
            VersionDiff(field: "size_bytes", first: String(a.sizeBytes), second: String(b.sizeBytes)),
            VersionDiff(field: "producer", first: a.producer, second: b.producer),
            VersionDiff(field: "parent", first: a.parent.map(String.init) ?? "-", second: b.parent.map(String.init) ?? "-"),
            VersionDiff(field: "signature", first: a.signature?.jsonText ?? "-", second: b.signature?.jsonText ?? "-"),
            VersionDiff(field: "notes", first: a.notes ?? "-", second: b.notes ?? "-"),
            VersionDiff(field: "created", first: "\(a.createdAt) by \(a.createdBy)", second: "\(b.createdAt) by \(b.createdBy)"),
        ]
        rows += keyed("parameters", a.parameters, b.parameters)
        rows += keyed("metrics", a.metrics, b.metrics)
        let tagKeys = Set(a.tags.keys).union(b.tags.keys).sorted()
        rows += tagKeys.map { VersionDiff(field: "tag.\($0)", first: a.tags[$0] ?? "-", second: b.tags[$0] ?? "-") }
        return rows
    }

    private static func keyed(_ prefix: String, _ a: JSONValue?, _ b: JSONValue?) -> [VersionDiff] {
        guard case .object(let left)? = a ?? .object([:]), case .object(let right)? = b ?? .object([:]) else {
            return [VersionDiff(field: prefix, first: a?.jsonText ?? "-", second: b?.jsonText ?? "-")]
        }
        return Set(left.keys).union(right.keys).sorted().map {
            VersionDiff(field: "\(prefix).\($0)", first: left[$0]?.jsonText ?? "-", second: right[$0]?.jsonText ?? "-")
        }
    }
}
