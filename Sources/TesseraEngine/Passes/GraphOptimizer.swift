/// The graph rewrites the executor applies before compiling a graph: each keeps the graph's
/// results (up to float rounding where a fused kernel computes in another order) and makes
/// it cheaper to run.
///
/// In order: Constant nodes become initializers; nodes whose inputs are all constant are
/// evaluated once (`ConstantFolding`); the exported form of exact GELU becomes one `Gelu`
/// node, and a written-out layer norm one `LayerNormalization`; MatMul with a constant weight absorbs the bias Add and the activation after it
/// (`Tessera.Dense`); Softmax followed by "NaN → 0" becomes `Tessera.SafeSoftmax`; scaled
/// dot-product attention (MatMul, mask, softmax, MatMul) becomes `Tessera.Attention`; finally
/// nodes and initializers no output depends on are dropped.
///
/// The passes see only the graph given to the executor; the caller's graph (what `inspect`
/// shows and `convert` saves) is untouched. A pattern is rewritten only when every value it
/// removes is read nowhere else, so outputs and shared values always survive.
public enum GraphOptimizer {
    /// What one optimization did: how many times each rewrite fired.
    public struct Report: Sendable, Equatable, CustomStringConvertible {
        public var foldedConstants = 0
        public var fusedGelu = 0
        public var fusedDense = 0
        public var fusedActivations = 0
        public var fusedSoftmax = 0
        public var fusedAttention = 0
        public var fusedLayerNorm = 0
        public var removedNodes = 0
        public var removedInitializers = 0

        public init() {}

        public var description: String {
            let parts = [("constants folded", foldedConstants), ("GELU fused", fusedGelu),
                         ("MatMul+bias fused", fusedDense), ("activations fused", fusedActivations),
                         ("softmax fused", fusedSoftmax), ("attention blocks fused", fusedAttention),
                         ("layer norms fused", fusedLayerNorm),
                         ("dead nodes removed", removedNodes),
                         ("unused initializers removed", removedInitializers)]
            let fired = parts.filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }
            return fired.isEmpty ? "no rewrites" : fired.joined(separator: ", ")
        }
    }

    /// The optimized graph and what was done. Fails only for a graph `validatedOrder()`
    /// refuses, with its error.
    public static func optimize(_ graph: Graph) throws(EngineError) -> (graph: Graph, report: Report) {
        _ = try graph.validatedOrder()
        var report = Report()
        var graph = ConstantFolding.run(graph, report: &report)
        graph = GeluFusion.run(graph, report: &report)
        graph = LayerNormFusion.run(graph, report: &report)
        graph = DenseFusion.run(graph, report: &report)
        graph = SafeSoftmaxFusion.run(graph, report: &report)
        graph = AttentionFusion.run(graph, report: &report)
        graph = DeadCodeElimination.run(graph, report: &report)
        return (graph, report)
    }
}
