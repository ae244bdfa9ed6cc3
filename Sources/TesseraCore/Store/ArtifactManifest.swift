public import Foundation

/// The list of files of a folder artifact (a Hugging Face folder, ONNX with external data…),
/// stored as an object itself; the artifact's digest is the digest of this manifest.
///
/// On disk it is canonical JSON (RFC 8785 style: keys sorted, no whitespace, minimal string
/// escapes), files sorted by the UTF-8 bytes of their path, so the same folder always gives
/// the same bytes and therefore the same digest:
///
///     {"files":[{"digest":"…","path":"config.json","size":123},…],"format":"tessera-manifest/1"}
///
/// Paths are relative, use `/`, and never contain `.`, `..` or empty components; a manifest
/// that breaks this (or lists a path twice, or a path both as a file and as a folder) is refused
/// when it is created or read, so exporting one can never write outside its destination.
public struct ArtifactManifest: Sendable, Hashable {
    public static let format = "tessera-manifest/1"
    /// The largest manifest the store writes or reads, in bytes (room for about half a million
    /// files). Objects larger than this are never manifests, which lets garbage collection
    /// recognise folder artifacts by content without reading large files.
    public static let maximumSize = 64 << 20

    /// One file of the artifact.
    public struct Entry: Sendable, Hashable, Codable {
        /// Relative path inside the artifact, components separated by `/`.
        public let path: String
        /// SHA-256 of the content: the object holding it.
        public let digest: String
        public let size: Int64

        public init(path: String, digest: String, size: Int64) {
            self.path = path
            self.digest = digest
            self.size = size
        }
    }

    /// The files, sorted by path (UTF-8 byte order).
    public let files: [Entry]

    /// Validates `files` and sorts them by path.
    public init(files: [Entry]) throws {
        let sorted = files.sorted { StoreIO.utf8Precedes($0.path, $1.path) }
        try Self.validate(sorted)
        self.files = sorted
    }

    /// Total size of the files in bytes.
    public var totalSize: Int64 { files.reduce(0) { $0 + $1.size } }

    /// The canonical JSON bytes (what is stored and hashed).
    public func encoded() -> Data {
        var json = #"{"files":["#
        for (index, file) in files.enumerated() {
            if index > 0 { json += "," }
            json += #"{"digest":"# + Self.quoted(file.digest) + #","path":"# + Self.quoted(file.path)
                + #","size":"# + String(file.size) + "}"
        }
        json += #"],"format":"# + Self.quoted(Self.format) + "}"
        return Data(json.utf8)
    }

    /// Parses and validates manifest bytes (any key order or whitespace is accepted).
    public init(decoding data: Data) throws {
        struct Wire: Decodable {
            let format: String
            let files: [Entry]
        }
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: data)
        } catch {
            throw StoreError(.invalidManifest, "the manifest is not valid \(Self.format) JSON (\(Self.describe(error))); "
                + "the artifact cannot be read — re-push it")
        }
        guard wire.format == Self.format else {
            throw StoreError(.invalidManifest, "the manifest has format '\(wire.format)', but this version of Tessera "
                + "reads only '\(Self.format)'; upgrade Tessera to read this artifact")
        }
        try self.init(files: wire.files)
    }

    /// The manifest `data` holds, or nil if it is not a valid manifest (e.g. a model file).
    static func recognise(_ data: Data) -> ArtifactManifest? {
        guard data.count <= maximumSize, data.first == UInt8(ascii: "{") else { return nil }
        return try? ArtifactManifest(decoding: data)
    }

    // MARK: - Validation

    private static func validate(_ sorted: [Entry]) throws {
        var paths = Set<String>()
        var folders = Set<String>()
        for file in sorted {
            try validatePath(file.path)
            guard StoreIO.isDigest(file.digest[...]) else {
                throw StoreError(.invalidManifest, "the manifest gives '\(file.path)' the digest '\(file.digest.prefix(80))', "
                    + "which is not 64 lower-case hex characters; the artifact cannot be read — re-push it")
            }
            guard file.size >= 0 else {
                throw StoreError(.invalidManifest, "the manifest gives '\(file.path)' a negative size; re-push the artifact")
            }
            guard paths.insert(file.path).inserted else {
                throw StoreError(.invalidManifest, "the manifest lists '\(file.path)' twice; re-push the artifact")
            }
            var folder = file.path[...]
            while let slash = folder.lastIndex(of: "/") {
                folder = folder[..<slash]
                folders.insert(String(folder))
            }
        }
        if let clash = paths.intersection(folders).sorted(by: StoreIO.utf8Precedes).first {
            throw StoreError(.invalidManifest, "the manifest lists '\(clash)' both as a file and as a folder; re-push the artifact")
        }
    }

    /// Refuses anything but a plain relative path: no leading `/`, no `.`/`..`/empty components, no NUL.
    static func validatePath(_ path: String) throws {
        func refuse(_ why: String) -> StoreError {
            StoreError(.invalidManifest, "the manifest lists the path '\(path.prefix(200))', which \(why); "
                + "artifact paths must be relative and stay inside the artifact — the manifest was refused")
        }
        guard !path.isEmpty else { throw refuse("is empty") }
        guard path.utf8.count <= 4096 else { throw refuse("is longer than 4096 bytes") }
        guard !path.hasPrefix("/") else { throw refuse("is absolute") }
        guard !path.utf8.contains(0) else { throw refuse("contains a NUL character") }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty { throw refuse("has an empty component (// or a trailing /)") }
            if component == "." || component == ".." { throw refuse("contains '\(component)'") }
            if component.utf8.count > 255 { throw refuse("has a component longer than 255 bytes") }
        }
    }

    // MARK: - Canonical JSON strings

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{09}": out += "\\t"
            case "\u{0A}": out += "\\n"
            case "\u{0C}": out += "\\f"
            case "\u{0D}": out += "\\r"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing key '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "wrong type at '\(path)'"
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        default: return "\(error)"
        }
    }
}
