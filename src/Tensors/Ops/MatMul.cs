// MatMul: C = op(A)·op(B) for matrices, with the transposes folded into the GEMM kernel rather
// than materialised. A transposed view of a contiguous matrix (W.T) is recognised from its
// strides and handed to the kernel as the original storage with the trans flag flipped.
//
// Backward (op(A) is M×K, op(B) is K×N, dC is M×N):
//   d op(A) = dC·op(B)ᵀ   and   d op(B) = op(A)ᵀ·dC,
// and when A is stored transposed its gradient is the transpose of that, which again is one
// GEMM call with other flags — no transpose is ever copied.

using FusionScratch.Kernels;
using FusionScratch.Kernels.Elementwise;
using FusionScratch.Kernels.Layout;

namespace FusionScratch.Tensors;

public sealed partial class Tensor
{
    /// <summary>Matrix product op(a)·op(b) of two rank-2 tensors.</summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false)
    {
        if (a.Rank != 2 || b.Rank != 2)
            throw new ArgumentException($"matmul needs two matrices, got shapes {a.Shape} and {b.Shape}");
        int M = transposeA ? a.Shape[1] : a.Shape[0];
        int K = transposeA ? a.Shape[0] : a.Shape[1];
        int Kb = transposeB ? b.Shape[1] : b.Shape[0];
        int N = transposeB ? b.Shape[0] : b.Shape[1];
        if (K != Kb)
            throw new ArgumentException($"matmul: shapes {a.Shape}{(transposeA ? "ᵀ" : "")} and {b.Shape}{(transposeB ? "ᵀ" : "")} do not align ({K} vs {Kb})");

        if (OnGpu(a, b, "matmul")) // both on one GPU: the tiled kernel (Ops/Device.cs)
        {
            var cg = MatMulGpu(a, b, transposeA, transposeB, M, N, K);
            return WillRecord(a, b) ? RecordMatMul(cg, a, b, transposeA, transposeB) : cg;
        }
        Tensor aData = GemmOperand(a, transposeA, out bool aT);
        Tensor bData = GemmOperand(b, transposeB, out bool bT);
        var c = Empty(Shape.Of(M, N)); // beta = 0: the GEMM overwrites every element
        Kernel((a: aData, aT, b: bData, bT, c, K), static s =>
            MatMulKernels.Gemm(s.a.StorageSpan, s.aT, s.b.StorageSpan, s.bT, s.c.Shape[0], s.c.Shape[1], s.K, 1f, 0f, s.c.Span));

        return WillRecord(a, b) ? RecordMatMul(c, a, b, transposeA, transposeB) : c;
    }

    /// <summary>MatMul's backward rule, built only when the op is recorded (see <see cref="WillRecord(Tensor, Tensor)"/>).</summary>
    private static Tensor RecordMatMul(Tensor c, Tensor a, Tensor b, bool transposeA, bool transposeB) =>
        Record(c, "matmul", [a, b], g =>
        [
            !a.RequiresGrad ? null
                : transposeA ? MatMul(b, g, transposeB, true)    // A stored K×M: dA = op(B)·dCᵀ
                             : MatMul(g, b, false, !transposeB), // dA = dC·op(B)ᵀ
            !b.RequiresGrad ? null
                : transposeB ? MatMul(g, a, true, transposeA)    // B stored N×K: dB = dCᵀ·op(A)
                             : MatMul(a, g, !transposeA, false), // dB = op(A)ᵀ·dC
        ]);

    /// <summary>This matrix times <paramref name="other"/>.</summary>
    public Tensor MatMul(Tensor other) => MatMul(this, other);

    /// <summary>
    /// Operand and trans flag for the GEMM kernel: contiguous matrices go as they are, a
    /// transposed view of a contiguous matrix goes as its source with the flag flipped, anything
    /// else is packed first. The kernel reads the operand's <see cref="StorageSpan"/>.
    /// </summary>
    private static Tensor GemmOperand(Tensor t, bool trans, out bool kernelTrans)
    {
        kernelTrans = trans;
        if (t.IsContiguous) return t;
        var s = t.Layout.Strides;
        if (s[0] == 1 && s[1] == t.Shape[0]) // column-major = transposed contiguous
        {
            kernelTrans = !trans;
            return t;
        }
        return t.Packed();
    }

    /// <summary>The Numel elements of storage from this tensor's offset, whatever its strides (a contiguous or a transposed matrix).</summary>
    private ReadOnlySpan<float> StorageSpan => CpuArray.AsSpan(Layout.Offset, Numel);
}
