// Node — one recorded op in the define-by-run graph: which tensors went in, and the backward rule
// that maps the gradient of the op's output to gradients of its inputs (null for an input that
// needs none). Ops create nodes only when grad mode is on and some input requires a gradient.

namespace FusionScratch.Tensors;

/// <summary>Backward rule: output gradient in, one gradient (or null) per input out.</summary>
internal delegate Tensor?[] BackwardRule(Tensor gradOutput);

/// <summary>A recorded op: its inputs and its backward rule.</summary>
internal sealed class Node
{
    public string Op { get; }
    public Tensor[] Inputs { get; }
    public BackwardRule Rule { get; }

    public Node(string op, Tensor[] inputs, BackwardRule rule)
    {
        Op = op;
        Inputs = inputs;
        Rule = rule;
    }
}
