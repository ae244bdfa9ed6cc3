import ArgumentParser
import TesseraCore
import TesseraEngine
import TesseraSDK

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the Tessera version, the plugin ABI and what the CPU offers the kernels."
    )

    func run() {
        print("tessera \(TesseraCore.version)")
        print("plugin ABI \(TSR_ABI_MAJOR).\(TSR_ABI_MINOR)")
        print("cpu features: \(CPU.features.isEmpty ? "baseline" : CPU.features.joined(separator: " ")) (kernels: \(CPU.kernelVariant))")
        print("bundled plugins searched in: \(BundledPlugins.searchPaths.joined(separator: ", "))")
    }
}
