/// Drops nodes none of whose outputs the graph's outputs depend on, then initializers no
/// remaining node reads (unless they are outputs themselves). Ops have no side effects, so a
/// node nobody reads computes nothing anyone sees.
enum DeadCodeElimination {
    static func run(_ graph: Graph, report: inout GraphOptimizer.Report) -> Graph {
        let index = GraphIndex(graph)
        var needed = Set(graph.outputs.map(\.name))
        var live = Set<Int>()
        var pending = Array(needed)
        while let value = pending.popLast() {
            guard let node = index.producer[value], live.insert(node).inserted else { continue }
            for input in graph.nodes[node].inputs where !input.isEmpty && needed.insert(input).inserted {
                pending.append(input)
            }
        }
        let dead = Set(graph.nodes.indices).subtracting(live)
        var result = graph.removingNodes(dead)
        let unused = result.initializers.filter { !needed.contains($0.name) }.count
        result.initializers.removeAll { !needed.contains($0.name) }
        report.removedNodes += dead.count
        report.removedInitializers += unused
        return result
    }
}
