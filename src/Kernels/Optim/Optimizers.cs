// Optimizer update kernels: one fused pass over (param, grad, state) per parameter tensor.
//
//   SgdNaive / SgdSimd     v = μ·v + (g + λ·p);  p −= lr·(nesterov ? g + λ·p + μ·v : v)
//   AdamNaive / AdamSimd   g' = g + λ_L2·p;  m = β1·m + (1−β1)·g';  v = β2·v + (1−β2)·g'²;
//                          p −= lr·(m/(1−β1^t)) / (√(v/(1−β2^t)) + ε) + lr·λ_decoupled·p
//
// The SIMD variants do the same arithmetic lane-wise (Vector512, then Vector256, then a scalar
// tail); fusing the whole update into one pass reads each array once instead of once per
// sub-expression, which is what makes an optimizer step memory-bound rather than allocation-bound.
// AdamW is Adam with λ_L2 = 0 and the decoupled decay λ_decoupled > 0 (Loshchilov & Hutter).
//
// Run: dotnet test --filter Optimizer

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusionScratch.Kernels.Optim;

/// <summary>Hyper-parameters of one Adam/AdamW step, with the bias corrections for step t precomputed.</summary>
public readonly record struct AdamStep(float Lr, float Beta1, float Beta2, float Eps, float L2, float DecoupledDecay, int T)
{
    public float Correction1 => 1f - MathF.Pow(Beta1, T);
    public float Correction2 => 1f - MathF.Pow(Beta2, T);
}

/// <summary>Fused optimizer updates over flat parameter buffers.</summary>
public static partial class OptimizerKernels
{
    /// <summary>SGD with momentum μ, weight decay λ (L2, PyTorch semantics) and optional Nesterov.</summary>
    public static void SgdNaive(Span<float> p, ReadOnlySpan<float> g, Span<float> v, float lr, float momentum, float weightDecay, bool nesterov)
    {
        CheckLengths(p.Length, g.Length, v.Length, v.Length);
        for (int i = 0; i < p.Length; i++)
        {
            float d = g[i] + weightDecay * p[i];
            v[i] = momentum * v[i] + d;
            p[i] -= lr * (nesterov ? d + momentum * v[i] : v[i]);
        }
    }

    /// <inheritdoc cref="SgdNaive"/>
    public static void SgdSimd(Span<float> p, ReadOnlySpan<float> g, Span<float> v, float lr, float momentum, float weightDecay, bool nesterov)
    {
        CheckLengths(p.Length, g.Length, v.Length, v.Length);
        int n = p.Length, i = 0;
        ref float pr = ref MemoryMarshal.GetReference(p);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float vr = ref MemoryMarshal.GetReference(v);
        float nest = nesterov ? 1f : 0f;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> mu = Vector512.Create(momentum), wd = Vector512.Create(weightDecay), lrv = Vector512.Create(lr), nv = Vector512.Create(nest);
            for (; i <= n - 16; i += 16)
            {
                var pi = Vector512.LoadUnsafe(ref pr, (nuint)i);
                var d = Vector512.FusedMultiplyAdd(wd, pi, Vector512.LoadUnsafe(ref gr, (nuint)i));
                var vi = Vector512.FusedMultiplyAdd(mu, Vector512.LoadUnsafe(ref vr, (nuint)i), d);
                vi.StoreUnsafe(ref vr, (nuint)i);
                // nesterov: step = d + μ·v; plain: step = v. Blend with nest ∈ {0,1} to stay branch-free.
                var step = vi + nv * (d + mu * vi - vi);
                (pi - lrv * step).StoreUnsafe(ref pr, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> mu = Vector256.Create(momentum), wd = Vector256.Create(weightDecay), lrv = Vector256.Create(lr), nv = Vector256.Create(nest);
            for (; i <= n - 8; i += 8)
            {
                var pi = Vector256.LoadUnsafe(ref pr, (nuint)i);
                var d = Vector256.FusedMultiplyAdd(wd, pi, Vector256.LoadUnsafe(ref gr, (nuint)i));
                var vi = Vector256.FusedMultiplyAdd(mu, Vector256.LoadUnsafe(ref vr, (nuint)i), d);
                vi.StoreUnsafe(ref vr, (nuint)i);
                var step = vi + nv * (d + mu * vi - vi);
                (pi - lrv * step).StoreUnsafe(ref pr, (nuint)i);
            }
        }
        SgdNaive(p[i..], g[i..], v[i..], lr, momentum, weightDecay, nesterov);
    }

    /// <summary>One Adam/AdamW step (see the file header for the formula).</summary>
    public static void AdamNaive(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, AdamStep s)
    {
        CheckLengths(p.Length, g.Length, m.Length, v.Length);
        float c1 = s.Correction1, c2 = s.Correction2;
        for (int i = 0; i < p.Length; i++)
        {
            float gi = g[i] + s.L2 * p[i];
            m[i] = s.Beta1 * m[i] + (1 - s.Beta1) * gi;
            v[i] = s.Beta2 * v[i] + (1 - s.Beta2) * gi * gi;
            float update = (m[i] / c1) / (MathF.Sqrt(v[i] / c2) + s.Eps);
            p[i] -= s.Lr * (update + s.DecoupledDecay * p[i]);
        }
    }

    /// <inheritdoc cref="AdamNaive"/>
    public static void AdamSimd(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, AdamStep s)
    {
        CheckLengths(p.Length, g.Length, m.Length, v.Length);
        int n = p.Length, i = 0;
        ref float pr = ref MemoryMarshal.GetReference(p);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float vr = ref MemoryMarshal.GetReference(v);
        float ic1 = 1f / s.Correction1, ic2 = 1f / s.Correction2;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> b1 = Vector512.Create(s.Beta1), b2 = Vector512.Create(s.Beta2), ob1 = Vector512.Create(1 - s.Beta1), ob2 = Vector512.Create(1 - s.Beta2),
                l2 = Vector512.Create(s.L2), dd = Vector512.Create(s.DecoupledDecay), lr = Vector512.Create(s.Lr), eps = Vector512.Create(s.Eps),
                c1 = Vector512.Create(ic1), c2 = Vector512.Create(ic2);
            for (; i <= n - 16; i += 16)
            {
                var pi = Vector512.LoadUnsafe(ref pr, (nuint)i);
                var gi = Vector512.FusedMultiplyAdd(l2, pi, Vector512.LoadUnsafe(ref gr, (nuint)i));
                var mi = Vector512.FusedMultiplyAdd(b1, Vector512.LoadUnsafe(ref mr, (nuint)i), ob1 * gi);
                var vi = Vector512.FusedMultiplyAdd(b2, Vector512.LoadUnsafe(ref vr, (nuint)i), ob2 * gi * gi);
                mi.StoreUnsafe(ref mr, (nuint)i);
                vi.StoreUnsafe(ref vr, (nuint)i);
                var update = (mi * c1) / (Vector512.Sqrt(vi * c2) + eps);
                (pi - lr * Vector512.FusedMultiplyAdd(dd, pi, update)).StoreUnsafe(ref pr, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> b1 = Vector256.Create(s.Beta1), b2 = Vector256.Create(s.Beta2), ob1 = Vector256.Create(1 - s.Beta1), ob2 = Vector256.Create(1 - s.Beta2),
                l2 = Vector256.Create(s.L2), dd = Vector256.Create(s.DecoupledDecay), lr = Vector256.Create(s.Lr), eps = Vector256.Create(s.Eps),
                c1 = Vector256.Create(ic1), c2 = Vector256.Create(ic2);
            for (; i <= n - 8; i += 8)
            {
                var pi = Vector256.LoadUnsafe(ref pr, (nuint)i);
                var gi = Vector256.FusedMultiplyAdd(l2, pi, Vector256.LoadUnsafe(ref gr, (nuint)i));
                var mi = Vector256.FusedMultiplyAdd(b1, Vector256.LoadUnsafe(ref mr, (nuint)i), ob1 * gi);
                var vi = Vector256.FusedMultiplyAdd(b2, Vector256.LoadUnsafe(ref vr, (nuint)i), ob2 * gi * gi);
                mi.StoreUnsafe(ref mr, (nuint)i);
                vi.StoreUnsafe(ref vr, (nuint)i);
                var update = (mi * c1) / (Vector256.Sqrt(vi * c2) + eps);
                (pi - lr * Vector256.FusedMultiplyAdd(dd, pi, update)).StoreUnsafe(ref pr, (nuint)i);
            }
        }
        AdamNaive(p[i..], g[i..], m[i..], v[i..], s);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckLengths(int p, int g, int m, int v)
    {
        if (g != p || m != p || v != p)
            throw new ArgumentException($"optimizer step: parameter has {p} elements but gradient/state have {g}/{m}/{v}");
    }
}
