// MatMul, variant 4 — packed, cache-blocked, register-tiled, multi-threaded GEMM (BLIS / GotoBLAS).
//
// Shapes: op(A) is (M,K), op(B) is (K,N), C is (M,N), row-major; A is stored (M,K), or (K,M) when
// transA; B is stored (K,N), or (N,K) when transB. See GemmKernel.cs for the BLAS conventions.
// What changes from variants 2 and 3, and why:
//   - Register tiling. An MR×NR = 12×32 tile of C stays in 24 zmm registers for a whole rank-KC
//     update (MicroKernel12x32.cs): per k, 2 loads of B and 12 broadcasts of A feed 24 FMAs, where
//     variant 2 loaded and stored C for every 4 FMAs. This alone is most of the speed-up.
//   - Packing (Pack.cs). The micro-kernel reads B as KC×NR micro-panels (rows of NR floats) and
//     A as MR×KC micro-panels: a KC×NC block of op(B) and an MC×KC block of op(A) are copied into
//     aligned buffers first, O(K·N + M·K) copies against O(M·N·K) FMAs. Transposed operands are
//     handled by the copy (transB with 16×16 in-register transposes), so one micro-kernel serves
//     all four cases. alpha scales each finished tile (MicroKernel12x32), not the operands.
//   - Cache blocking (GemmBlocking.cs). The five loops around the micro-kernel (BLIS numbering):
//       loop 5  jc over N in NC steps        B block KC×NC (L2/L3)
//       loop 4  pc over K in KC steps        rank-KC updates; the first one applies beta;
//                                            each thread packs the B̃ panels it needs
//       loop 3  ic over M in MC steps        A block MC×KC, packed by each thread for itself (L2)
//       loop 2  jr over NC in NR steps       one KC×NR micro-panel of B, met by every A panel (L1/L2)
//       loop 1  ir over MC in MR steps       one MR×KC micro-panel of A
//       micro-kernel: kc rank-1 updates of the MR×NR tile in registers
//   - Operands in place. Packing an operand is a full pass over it (from memory, for the big
//     one), and pays only if each packed micro-panel is reused enough. So when a block of A meets
//     few B micro-panels (N ≤ 8·NR = 256) and A is not transposed, the micro-kernel reads the rows
//     of A where they are (row stride K); likewise B (row stride N) when M ≤ 8·MR = 96, B is not
//     transposed and N is not a multiple of 512 (rows 2 KiB·2^n apart would crowd a few L2 sets).
//     The loops ask for the next micro-panel's rows ahead (prefetch into L2) while the current
//     tile computes; only a ragged last panel is packed. Measured, one thread, GFLOP/s: the
//     issue's convolution shape 21632×64×288 (A in place) 159 → 181; the engine's NCHW
//     convolution 64×5408×288 (B in place) 118 → 172, 64×288×5408 transB (transposes) 88 → 156.
//   - Threads. For each (jc, pc) block one Parallelism.For splits the product: by MR-row panels
//     of M (loop 3: each thread packs its own A blocks and reads every B̃ panel) or by NR-wide
//     panels of B̃ (loop 2: each thread reads all of the A block and only its B̃ panels) —
//     whichever makes the threads read the smaller operand twice: M ≥ nc splits M (1024³, the
//     21632×64 convolution), M < nc splits N (64×21632, 288×5408). B̃ is not shared: each thread
//     packs the panels it needs into its own buffer (split M: all of them, once per block, kept
//     for its next chunk). Sharing one packed B̃ means each core writes lines the other core has
//     just read — a cross-core invalidation per line: packing a shared B̃ took 3× as long on two
//     threads as on one, and private copies measured faster on every shape tried (256³ on two
//     threads 264 → 297 GFLOP/s, 1024³ 328 → 345, 288×5408×64 292 → 337). The product is cut
//     into 2 chunks per thread, claimed first come, first served, so a thread slowed by another
//     process hands work to the other. With one thread, or a product too small to pay for a
//     hand-off (under 2^21 multiply-adds per thread), everything runs inline.
//   - No allocation per call: the packing buffers are native, 64-byte aligned, per thread and
//     grown on demand (GemmWorkspace below); the loop bodies are delegates cached per thread;
//     Parallelism.For dispatches to a persistent pool without allocating.
//   - Edges: panels past M or N are zero-padded by the packing, so the micro-kernel always runs
//     its full loop and writes back only the valid part (masked stores); K % KC needs nothing.
//   - Micro-kernel choice at run time: Vector512 (12×32) when it is hardware-accelerated, else
//     Vector256 (MicroKernel6x16.cs); with neither (no 256-bit SIMD at all) Packed calls Simd.
//
//   dotnet run -c Release --project src/Runner -- kernel matmul --variant 4

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusionScratch.Kernels;

/// <summary>Which micro-kernel the packed GEMM runs (an internal switch so tests can force the Vector256 one).</summary>
internal enum GemmMicroKernel
{
    /// <summary>MicroKernel12x32, Vector512 (AVX-512).</summary>
    Vector512,

    /// <summary>MicroKernel6x16, Vector256 (AVX2 + FMA).</summary>
    Vector256,
}

/// <summary>Whether the packed GEMM packs its operands or lets the micro-kernel read them in place (an internal switch so tests reach every path).</summary>
internal enum GemmPacking
{
    /// <summary>A in place when it is not transposed and each A block meets few B̃ micro-panels (N ≤ 8·NR);
    /// B in place when it is not transposed, M is small (M ≤ 8·MR) and N is not a multiple of 512; packed otherwise.</summary>
    Auto,

    /// <summary>Always pack both.</summary>
    Packed,

    /// <summary>Read each operand in place whenever it is not transposed.</summary>
    InPlace,
}

/// <summary>A register-tiled micro-kernel: c[0:mr, 0:nr] = alpha·Ã·B̃ + beta·c over one MR×kc panel of A and one kc×NR panel of B.</summary>
internal unsafe interface IMicroKernel
{
    static abstract int MR { get; }
    static abstract int NR { get; }

    static abstract void Run<TLayout>(int kc, float* a, nint rsA, float* b, nint rsB, float* c, nint ldc, float alpha, float beta, int mr, int nr)
        where TLayout : struct, IPackedALayout;
}

public static partial class MatMulKernels
{
    /// <summary>
    /// Packed, cache-blocked, multi-threaded GEMM with a register-tiled FMA micro-kernel (BLIS
    /// algorithm): effectively computes c[i,j] = alpha·Σk op(A)[i,k]·op(B)[k,j] + beta·c[i,j].
    /// Matches <see cref="Naive"/> within rounding. beta = 0 overwrites C (NaN in C is ignored);
    /// alpha = 0 reads neither A nor B. Uses <see cref="Parallelism.Threads"/> threads and, after
    /// the first call on each thread, allocates nothing.
    /// </summary>
    public static void Packed(ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> b, bool transB,
        int M, int N, int K, float alpha, float beta, Span<float> c) =>
        PackedWith(a, transA, b, transB, M, N, K, alpha, beta, c, DefaultMicroKernel, Parallelism.Threads);

    /// <summary>The micro-kernel this CPU runs best: Vector512 where it is hardware-accelerated.</summary>
    internal static GemmMicroKernel DefaultMicroKernel =>
        Vector512.IsHardwareAccelerated ? GemmMicroKernel.Vector512 : GemmMicroKernel.Vector256;

    /// <summary><see cref="Packed(ReadOnlySpan{float}, bool, ReadOnlySpan{float}, bool, int, int, int, float, float, Span{float})"/> with an explicit micro-kernel and thread limit (tests).</summary>
    internal static unsafe void PackedWith(ReadOnlySpan<float> a, bool transA, ReadOnlySpan<float> b, bool transB,
        int M, int N, int K, float alpha, float beta, Span<float> c, GemmMicroKernel kernel, int threads,
        GemmPacking packing = GemmPacking.Auto)
    {
        CheckGemm(a.Length, transA, b.Length, transB, M, N, K, c.Length);
        // a is (M,K) row-major, or (K,M) if transA; b is (K,N), or (N,K) if transB; c is (M,N)
        if (M == 0 || N == 0) return;
        if (alpha == 0f || K == 0)
        {
            ScaleByBeta(c, beta); // BLAS quick return: A and B are not read
            return;
        }
        if (kernel == GemmMicroKernel.Vector512 && !Vector512.IsHardwareAccelerated)
            kernel = GemmMicroKernel.Vector256;
        if (!Vector256.IsHardwareAccelerated)
        {
            Simd(a, transA, b, transB, M, N, K, alpha, beta, c); // no 256-bit SIMD: the packed kernels would run in software
            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            GemmWorkspace ws = GemmWorkspace.Current;
            ws.Job.Run(pa, transA, pb, transB, M, N, K, alpha, beta, pc, kernel, Math.Max(1, threads), packing);
        }
    }
}

/// <summary>
/// One packed GEMM call: its arguments, the current (jc, pc) block, and the loop body that
/// Parallelism.For hands to the threads (a delegate created once per calling thread, so a call
/// allocates nothing). The pointers are pinned by the caller for the duration of <see cref="Run"/>.
/// </summary>
internal sealed unsafe class GemmJob
{
    /// <summary>
    /// Multiply-adds a thread should get at least before the product is split (about 20 µs of
    /// work). Measured on 2 threads vs 1: 128³ (2^21 in all) 155 vs 187 GFLOP/s — the hand-offs
    /// and a 6-vs-5-panel imbalance cost more than the second core gives; 192³ 251 vs 200.
    /// </summary>
    internal const long MinMultiplyAddsPerThread = 1L << 21;

    /// <summary>Chunks per thread for the product: more chunks than threads, claimed first come first served, so
    /// a thread slowed by another process on the machine hands its share to the others.</summary>
    internal const int ChunksPerThread = 2;

    /// <summary>An operand whose blocks meet at most this many micro-panels of the other is read in place rather than packed (measured: see README).</summary>
    internal const int InPlaceMaxPanels = 8;

    private readonly RangeBody _compute;

    // the call
    private float* _a, _b, _c;
    private bool _transA, _transB;
    private int _m, _n, _k;
    private float _alpha;
    private GemmMicroKernel _kernel;
    // the current block of loops 5 and 4, and how loop 3 / loop 2 are split
    private int _jc, _nc, _pc, _kc;
    private float _betaBlock;
    private long _blockSerial; // counts (jc, pc) blocks over the life of this job object: names "this block" to the threads
    private bool _splitM, _directA, _directB;

    public GemmJob() => _compute = Compute;

    public void Run(float* a, bool transA, float* b, bool transB, int M, int N, int K, float alpha, float beta, float* c,
        GemmMicroKernel kernel, int threads, GemmPacking packing)
    {
        Debug.Assert(M > 0 && N > 0 && K > 0 && threads >= 1);
        _a = a; _transA = transA; _b = b; _transB = transB; _c = c;
        _m = M; _n = N; _k = K; _alpha = alpha; _kernel = kernel;
        int MR = kernel == GemmMicroKernel.Vector512 ? MicroKernel12x32.MR : MicroKernel6x16.MR;
        int NR = kernel == GemmMicroKernel.Vector512 ? MicroKernel12x32.NR : MicroKernel6x16.NR;
        Debug.Assert(GemmBlocking.MC % MR == 0 && GemmBlocking.NC % NR == 0);

        int panelsM = (M + MR - 1) / MR;

        // loop 5 around the micro-kernel: jc over N in NC steps
        for (_jc = 0; _jc < N; _jc += GemmBlocking.NC)
        {
            _nc = Math.Min(GemmBlocking.NC, N - _jc);
            int panelsN = (_nc + NR - 1) / NR;
            // Split M (loop 3: each thread reads all of the B̃ block, kc × nc) or N (loop 2: each
            // thread reads — and packs — all of the A block, M × kc): split the side whose other
            // operand is the smaller one to read twice, as long as that side has panels to share.
            _splitM = (M >= _nc || panelsN < 2 * threads) && panelsM >= Math.Min(2 * threads, panelsN);
            // Read A in place (no copy) when a block of A meets few B̃ panels: packing would cost a
            // pass over A for little reuse (the convolution shape, N = 64, is 2 panels).
            _directA = !transA && (packing == GemmPacking.InPlace || (packing == GemmPacking.Auto && panelsN <= InPlaceMaxPanels));
            // Likewise B, when few A micro-panels meet each B̃ micro-panel (M small: the convolution's
            // 64 × (images·P·Q) × 288 forward product). A row stride that is a multiple of 2 KiB
            // (N % 512 == 0) would put every row of a micro-panel in the same few L2 sets: pack then.
            _directB = !transB && (packing == GemmPacking.InPlace || (packing == GemmPacking.Auto && panelsM <= InPlaceMaxPanels && N % 512 != 0));

            // loop 4 around the micro-kernel: pc over K in KC steps
            for (_pc = 0; _pc < K; _pc += GemmBlocking.KC)
            {
                _kc = Math.Min(GemmBlocking.KC, K - _pc);
                _betaBlock = _pc == 0 ? beta : 1f; // beta scales C once; later blocks accumulate

                _blockSerial++;
                // The product of this block, split over M panels or N panels.
                long madsPerPanel = _splitM ? (long)MR * _nc * _kc : (long)M * NR * _kc;
                int minPanels = (int)Math.Clamp(MinMultiplyAddsPerThread / madsPerPanel, 1, int.MaxValue);
                Parallelism.For(_splitM ? panelsM : panelsN, minPanels, _compute, threads, threads * ChunksPerThread);
            }
        }
        _a = _b = _c = null;
    }

    /// <summary>The product for panels [start, end) of the split dimension, on whichever thread runs it.</summary>
    private void Compute(int start, int end)
    {
        switch (_kernel, _transA)
        {
            case (GemmMicroKernel.Vector512, false): Compute<MicroKernel12x32, RowPanel>(start, end); break;
            case (GemmMicroKernel.Vector512, true): Compute<MicroKernel12x32, ColumnPanel>(start, end); break;
            case (GemmMicroKernel.Vector256, false): Compute<MicroKernel6x16, RowPanel>(start, end); break;
            default: Compute<MicroKernel6x16, ColumnPanel>(start, end); break;
        }
    }

    /// <summary>Asks for rows × kc floats (rows rs apart) to be brought into L2, one prefetch per cache line.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRows(float* p, nint rs, int rows, int kc)
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < rows; r++, p += rs)
        {
            for (int k = 0; k < kc; k += 16) Sse.Prefetch1(p + k);
            Sse.Prefetch1(p + kc - 1); // the row's last line, when it does not start on a line boundary
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Compute<TKernel, TLayout>(int start, int end)
        where TKernel : struct, IMicroKernel where TLayout : struct, IPackedALayout
    {
        int MR = TKernel.MR, NR = TKernel.NR;
        // This chunk's rows [i0, i1) of C and B̃ panels [q0, q1) of the current block.
        int i0, i1, q0, q1;
        if (_splitM) { i0 = start * MR; i1 = Math.Min(end * MR, _m); q0 = 0; q1 = (_nc + NR - 1) / NR; }
        else { i0 = 0; i1 = _m; q0 = start; q1 = end; }
        Debug.Assert(i0 < i1 && q0 < q1);

        // Packed A belongs to the thread running this chunk, not to the caller.
        float* packedA = GemmWorkspace.Current.PackedA((nint)Math.Min(GemmBlocking.MC, (i1 - i0 + MR - 1) / MR * MR) * GemmBlocking.KC);
        int N = _n, K = _k, kc = _kc;
        float alpha = _alpha, beta = _betaBlock;
        bool directA = _directA, directB = _directB;
        Debug.Assert(kc >= 1 && kc <= GemmBlocking.KC);
        Debug.Assert(!(directA && _transA) && !(directB && _transB), "only an untransposed operand is read in place");
        int fullPanelsN = _nc / NR; // B̃ panels with all NR columns: the ones that can be read in place

        // B̃ panels [pq0, pq1) of this block that this chunk needs packed (in place: only a ragged last
        // one), into this thread's own buffer. Split over M, every chunk needs them all: a thread
        // packs them for its first chunk of the block and keeps them for its next.
        int pq0 = directB ? Math.Max(q0, fullPanelsN) : q0, pq1 = q1;
        float* packedB = null;
        if (pq0 < pq1)
        {
            GemmWorkspace ws = GemmWorkspace.Current;
            packedB = ws.PackedB((nint)(pq1 - pq0) * NR * kc);
            if (!_splitM || ws.PackedBJob != this || ws.PackedBSerial != _blockSerial)
            {
                Pack.B(_b, _transB, N, K, _pc, kc, _jc, _nc, NR, pq0, pq1, packedB);
                ws.PackedBJob = _splitM ? this : null;
                ws.PackedBSerial = _blockSerial;
            }
        }

        // loop 3 around the micro-kernel: ic over this chunk's rows in MC steps
        for (int ic = i0; ic < i1; ic += GemmBlocking.MC)
        {
            int mc = Math.Min(GemmBlocking.MC, i1 - ic);
            // The A block: packed (MR-row micro-panels MR·KC floats apart, rows KC apart), or read in
            // place (micro-panels MR rows of A apart, rows K apart) with only a ragged last panel packed.
            float* aBlock;
            nint rsA, panelStride;
            int fullRows = mc;
            if (directA)
            {
                aBlock = _a + (nint)ic * K + _pc;
                rsA = K;
                panelStride = (nint)MR * K;
                fullRows = mc / MR * MR;
                if (fullRows < mc)
                    Pack.A(_a, false, _m, K, ic + fullRows, mc - fullRows, _pc, kc, MR, packedA);
            }
            else
            {
                Pack.A(_a, _transA, _m, K, ic, mc, _pc, kc, MR, packedA);
                aBlock = packedA;
                rsA = GemmBlocking.KC;
                panelStride = (nint)MR * GemmBlocking.KC;
            }
            int panelsA = (mc + MR - 1) / MR;

            // loop 2 around the micro-kernel: jr over the block's columns in NR steps (one B̃ micro-panel, kept in L1/L2)
            for (int q = q0; q < q1; q++)
            {
                int jr = q * NR, nr = Math.Min(NR, _nc - jr);
                // The B̃ micro-panel: packed (rows NR floats apart), or read in place (rows N apart).
                bool inPlace = directB && q < fullPanelsN;
                float* bPanel = inPlace ? _b + (nint)_pc * N + _jc + jr : packedB + (nint)(q - pq0) * NR * kc;
                nint rsB = inPlace ? N : NR;
                bool prefetchB = directB && q + 1 < q1 && q + 1 < fullPanelsN && ic == i0;
                float* cColumn = _c + _jc + jr;

                // loop 1 around the micro-kernel: ir over the block's rows in MR steps (one Ã micro-panel)
                for (int ir = 0; ir < fullRows; ir += MR)
                {
                    // In place, ask for what comes next while this tile computes: the next A
                    // micro-panel (first B̃ panel only), a share of the next B̃ micro-panel's rows.
                    if (directA && q == q0 && ic + ir + 2 * MR <= i1)
                        PrefetchRows(aBlock + (ir / MR + 1) * panelStride, rsA, MR, kc);
                    if (prefetchB)
                    {
                        int share = (kc + panelsA - 1) / panelsA, k0 = ir / MR * share;
                        PrefetchRows(bPanel + NR + (nint)k0 * N, N, Math.Min(share, kc - k0), NR);
                    }
                    TKernel.Run<TLayout>(kc, aBlock + ir / MR * panelStride, rsA, bPanel, rsB,
                        cColumn + (nint)(ic + ir) * N, N, alpha, beta, Math.Min(MR, mc - ir), nr);
                }
                if (fullRows < mc) // the ragged last micro-panel of an in-place A block, packed
                    TKernel.Run<TLayout>(kc, packedA, GemmBlocking.KC, bPanel, rsB,
                        cColumn + (nint)(ic + fullRows) * N, N, alpha, beta, mc - fullRows, nr);
            }
        }
    }
}

/// <summary>
/// Per-thread packing buffers of the packed GEMM (native memory, 64-byte aligned, grown on
/// demand and never shrunk), and the thread's <see cref="GemmJob"/> for the calls it makes.
/// Both buffers belong to whichever thread runs a chunk: no thread reads another's packed data.
/// A thread's memory is freed by the finalizer after the thread ends.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    [ThreadStatic] private static GemmWorkspace? t_current;

    /// <summary>This thread's workspace (created on its first GEMM: the only allocation, once per thread).</summary>
    public static GemmWorkspace Current => t_current ??= new GemmWorkspace();

    private float* _packedA, _packedB;
    private nint _packedACapacity, _packedBCapacity;

    /// <summary>Which job and block the packed B buffer holds, so a thread's next chunk of the same block reuses it.</summary>
    public GemmJob? PackedBJob;
    public long PackedBSerial;

    public GemmJob Job { get; }

    private GemmWorkspace() => Job = new GemmJob();

    /// <summary>A buffer of at least <paramref name="floats"/> floats for packed A blocks.</summary>
    public float* PackedA(nint floats) => floats <= _packedACapacity ? _packedA : Grow(ref _packedA, ref _packedACapacity, floats);

    /// <summary>A buffer of at least <paramref name="floats"/> floats for the packed B block.</summary>
    public float* PackedB(nint floats)
    {
        if (floats <= _packedBCapacity) return _packedB;
        PackedBJob = null; // the contents are gone
        return Grow(ref _packedB, ref _packedBCapacity, floats);
    }

    private static float* Grow(ref float* buffer, ref nint capacity, nint floats)
    {
        NativeMemory.AlignedFree(buffer);
        buffer = null;
        capacity = 0;
        buffer = (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), 64);
        capacity = floats;
        return buffer;
    }

    ~GemmWorkspace()
    {
        NativeMemory.AlignedFree(_packedA);
        NativeMemory.AlignedFree(_packedB);
    }
}
