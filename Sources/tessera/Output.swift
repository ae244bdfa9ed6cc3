import Foundation

/// Prints JSON for scripts, sorted and indented.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Sizes for people, in powers of 1000 like file managers: "919 bytes", "1.2 MB".
func formatBytes(_ bytes: Int64) -> String {
    guard bytes >= 1000 else { return "\(bytes) byte\(bytes == 1 ? "" : "s")" }
    var value = Double(bytes)
    for unit in ["kB", "MB", "GB", "TB"] {
        value /= 1000
        if value < 1000 || unit == "TB" { return String(format: value < 10 ? "%.1f %@" : "%.0f %@", value, unit) }
    }
    return "\(bytes) bytes"
}
