import ArgumentParser
import Foundation
import TesseraCore
import TesseraEngine

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Turn text into sentence embeddings with a BERT-family model folder.",
        discussion: """
            FOLDER is a Hugging Face model folder (config.json, vocab.txt, model.safetensors), read \
            by the hf-bert format plugin. Texts are tokenized (WordPiece), encoded, mean-pooled over \
            their tokens and L2-normalized, as sentence-transformers does. Prints one JSON array per \
            text, or with --json an object with the token ids too.

              tessera embed ./all-MiniLM-L6-v2 "The quick brown fox jumps over the lazy dog."
            """
    )

    @OptionGroup var model: ModelFileOptions
    @Argument(help: "The model folder.") var folder: String
    @Argument(help: "The texts to embed.") var texts: [String]
    @Flag(help: "Print JSON with the token ids and the embeddings.") var json = false

    struct Result: Encodable {
        let text: String
        let input_ids: [Int64]
        let embedding: [Float]
    }

    func run() throws {
        guard !texts.isEmpty else { throw ValidationError("give at least one text to embed") }
        let url = URL(fileURLWithPath: folder)
        guard TextEmbedder.canRead(url) else {
            throw ValidationError("\(folder) has no vocab.txt; give a Hugging Face model folder with its tokenizer files")
        }
        let host = try model.pluginHost()
        defer { host.shutdown() }
        let detection = try model.load(folder, host: host)
        let embedder = try TextEmbedder(folder: url)
        let executor = try Executor(graph: detection.graph, customOperators: host.customOperators)
        let inputs = try embedder.inputs(for: texts)
        let outputs = try executor.run(inputs)
        guard let hidden = outputs["last_hidden_state"] ?? executor.outputs.first.flatMap({ outputs[$0.name] }) else {
            throw ValidationError("the model has no last_hidden_state output to pool")
        }
        let mask = inputs["attention_mask"]!
        let pooled = try TextEmbedder.meanPool(hidden: hidden, mask: mask).floats
        let width = pooled.count / texts.count
        let sequence = mask.shape[1]
        let ids = inputs["input_ids"]!.storage.bytes.bindMemory(to: Int64.self)
        let masks = mask.storage.bytes.bindMemory(to: Int64.self)
        let results = texts.enumerated().map { index, text in
            Result(text: text,
                   input_ids: (0..<sequence).filter { masks[index * sequence + $0] != 0 }.map { ids[index * sequence + $0] },
                   embedding: Array(pooled[index * width..<(index + 1) * width]))
        }
        if json { return try printJSON(results) }
        for result in results {
            print("[" + result.embedding.map { String($0) }.joined(separator: ", ") + "]")
        }
    }
}
