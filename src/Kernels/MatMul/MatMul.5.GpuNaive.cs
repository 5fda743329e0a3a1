// MatMul variant 5 — GpuNaive: variant 1's loop nest with the two outer loops turned into threads.
//
// Shapes: M, N, K as in MatMul.1.Naive.cs; C = alpha·op(A)·op(B) + beta·C, row-major, transposes
// by flag. One thread per c[i,j], threads auto-grouped by ILGPU over an (N, M) index space.
//
// Memory hierarchy: global memory only. Each thread reads a row of op(A) and a column of op(B)
// straight from global (device) memory — 2K loads per 2K flops, with no reuse between threads
// except what the hardware caches catch. The index's X component (the fastest-varying one inside
// a warp) is j, so the 32 threads of a warp read 32 neighbouring b[k, j..j+31] (one coalesced
// transaction when !transB) and all read the same a[i,k] (a broadcast). The accumulator lives in
// a register. Variant 6 (GpuTiled) stages tiles of A and B in shared memory to cut global loads
// by the tile width.
//
//   dotnet test FusionScratch.sln -c Release --filter FullyQualifiedName~MatMulGpu   (not yet in `fusion kernel`)
//   dotnet run -c Release --project src/Runner -- bench gemm --device gpu

using FusionScratch.Kernels.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace FusionScratch.Kernels;

/// <summary>GEMM dimensions, scaling and transpose flags passed to the GPU kernels by value.</summary>
public readonly struct GpuGemmArgs
{
    public readonly int M, N, K;
    public readonly float Alpha, Beta;
    /// <summary>1 when A is stored (K,M), i.e. op(A) = Aᵀ; ints because kernel arguments are blittable.</summary>
    public readonly int TransA, TransB;

    public GpuGemmArgs(int m, int n, int k, float alpha, float beta, bool transA, bool transB)
    {
        M = m; N = n; K = k; Alpha = alpha; Beta = beta;
        TransA = transA ? 1 : 0; TransB = transB ? 1 : 0;
    }

    /// <summary>op(A)[i,k] from A stored (M,K), or (K,M) when transposed.</summary>
    public float A(ArrayView<float> a, int i, int k) => TransA != 0 ? a[k * M + i] : a[i * K + k];

    /// <summary>op(B)[k,j] from B stored (K,N), or (N,K) when transposed.</summary>
    public float B(ArrayView<float> b, int k, int j) => TransB != 0 ? b[j * K + k] : b[k * N + j];

    /// <summary>The BLAS update of one element: alpha·acc + beta·c, where beta = 0 never reads c and alpha = 0 ignores acc.</summary>
    public float Update(float acc, ArrayView<float> c, int index)
    {
        float ab = Alpha == 0f ? 0f : Alpha * acc; // alpha = 0: NaN or ∞ in A or B must not leak in
        return Beta == 0f ? ab : ab + Beta * c[index];
    }
}

/// <summary>The signature every GPU GEMM variant shares on device views (variants 5–7).</summary>
public delegate void GpuGemmKernel(Accelerator accelerator, ArrayView<float> a, bool transA, ArrayView<float> b, bool transB,
    int M, int N, int K, float alpha, float beta, ArrayView<float> c);

public static partial class MatMulKernels
{
    /// <summary>
    /// Naive GPU GEMM on device buffers, queued on <paramref name="accelerator"/>'s default stream:
    /// effectively computes c[i,j] = alpha·Σk op(A)[i,k]·op(B)[k,j] + beta·c[i,j], one thread per
    /// element of C. Asynchronous: synchronize or download before reading c on the host.
    /// </summary>
    public static void GpuNaive(Accelerator accelerator, ArrayView<float> a, bool transA, ArrayView<float> b, bool transB,
        int M, int N, int K, float alpha, float beta, ArrayView<float> c)
    {
        CheckGpuGemm(a.Length, b.Length, M, N, K, c.Length);
        if (M == 0 || N == 0) return;
        var kernel = GpuLaunch.Kernel(accelerator, GpuNaiveKernel,
            static acc => acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuGemmArgs>(GpuNaiveKernel));
        kernel(new Index2D(N, M), a, b, c, new GpuGemmArgs(M, N, K, alpha, beta, transA, transB));
    }

    /// <summary>
    /// <see cref="GpuNaive(Accelerator, ArrayView{float}, bool, ArrayView{float}, bool, int, int, int, float, float, ArrayView{float})"/>
    /// on host spans: uploads a, b and c, runs, downloads c. For tests and `bench gemm --device gpu`;
    /// tensors on the device call the ArrayView overload and keep data resident.
    /// </summary>
    public static void GpuNaive(Accelerator accelerator, ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> b, bool transB,
        int M, int N, int K, float alpha, float beta, Span<float> c)
        => GpuOnHost(accelerator, a, transA, b, transB, M, N, K, alpha, beta, c, GpuNaive);

    /// <summary>Runs a device GEMM variant on host spans: checks the shapes, uploads a, b and c, runs, downloads c.</summary>
    internal static void GpuOnHost(Accelerator accelerator, ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> b, bool transB,
        int M, int N, int K, float alpha, float beta, Span<float> c, GpuGemmKernel gemm)
    {
        CheckGemm(a.Length, transA, b.Length, transB, M, N, K, c.Length);
        GpuLaunch.RoundTrip(accelerator, a, b, default, c, default,
            (da, db, _, dc, _) => gemm(accelerator, da, transA, db, transB, M, N, K, alpha, beta, dc));
    }

    // Device views may be longer than the matrix (buffers are at least one element): only "too
    // short" is an error. The first M·K, K·N and M·N elements are the matrices.
    internal static void CheckGpuGemm(long aLength, long bLength, int M, int N, int K, long cLength)
    {
        if (M < 0 || N < 0 || K < 0)
            throw new ArgumentException($"matmul (gpu): negative dimension in M×N×K = {M}×{N}×{K}");
        if (aLength < (long)M * K || bLength < (long)K * N || cLength < (long)M * N)
            throw new ArgumentException($"matmul (gpu): views of {aLength}, {bLength}, {cLength} elements are too short for M×N×K = {M}×{N}×{K}");
    }

    // index.X = j (column of C), index.Y = i (row): neighbouring threads write neighbouring c[i,j].
    private static void GpuNaiveKernel(Index2D index, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GpuGemmArgs s)
    {
        int j = index.X, i = index.Y;
        float acc = 0f; // in a register for the whole k loop
        for (int k = 0; k < s.K; k++)
            acc += s.A(a, i, k) * s.B(b, k, j);
        c[i * s.N + j] = s.Update(acc, c, i * s.N + j);
    }
}
